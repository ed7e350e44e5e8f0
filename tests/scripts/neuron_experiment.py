#!/usr/bin/python3
"""Run the cable populations of a BioSim experiment file in NEURON and compare with BioSim's output file.

Usage: /usr/bin/python3 neuron_experiment.py EXPERIMENT.json OUT.h5

Builds every cell of every "model": "cable" population in NEURON (Debian python3-neuron, 8.2) from the same
JSON: sections (length, diameter, parent, parent_x, Ra, cm), nseg (per section, fixed, or NEURON's d_lambda
rule), density mechanisms (pas, hh) and point processes (IClamp, ExpSyn, Exp2Syn) with their parameters, a
NetCon on the detector (threshold) for spikes. An SWC morphology is loaded with Import3d (one SWC cell per run). Projections into cable synapses are rebuilt as NetCons:
  - from a cable population: NetCon(source detector v, synapse) with the projection's threshold, delay, weight;
  - from any other population (LIF spike sources): the source's spikes are read from OUT.h5 (they must be
    recorded) and sent with NetCon.event at the end of the step in which each spike fell plus the delay,
    which is when BioSim's delay ring delivers it (NEURON delivers an event at the first step start t with
    event time <= t + dt/2).
Supported connectivity: one-to-one, all-to-all (allow_autapses). Weights and delays must be constants.
Fixed step with the population's method (backward-euler: secondorder 0, crank-nicolson: 2) at the experiment's dt.
Every compartment (segment centre) is recorded every step and compared with /report/<population>/data
(columns: segments in section order, element_ids = section index; frame k is t = (k + 1) dt).
Prints one JSON object: per population the largest |dV| over all compartments and at the soma, both
simulators' spike times per cell, and the sizes compared.
"""
import json
import math
import os
import sys

import h5py
import numpy as np
from neuron import h

h.load_file("stdrun.hoc")
h.load_file("import3d.hoc")


def dlambda_nseg(sec, d_lambda, freq):
    return int((sec.L / (d_lambda * h.lambda_f(freq, sec=sec)) + 0.9) / 2) * 2 + 1


class Cell:
    def __init__(self, pop, index, spec):
        self.sections = {}
        self.order = []
        morph = spec["morphology"]
        ra, cm = morph.get("Ra", 35.4), morph.get("cm", 1.0)
        if "swc" in morph:
            self.load_swc(pop, index, morph, ra, cm)
        for s in morph.get("sections", []):
            sec = h.Section(name=f"{pop}[{index}].{s['name']}")
            sec.L, sec.diam = s["length"], s["diameter"]
            sec.Ra, sec.cm = s.get("Ra", ra), s.get("cm", cm)
            if s.get("parent") is not None:
                sec.connect(self.sections[s["parent"]](s.get("parent_x", 1.0)), 0)
            self.sections[s["name"]] = sec
            self.order.append(s["name"])
        disc = spec.get("discretisation", {"nseg": 1})
        for s in morph.get("sections", [{"name": n} for n in self.order]):
            sec = self.sections[s["name"]]
            if "nseg" in s:
                sec.nseg = s["nseg"]
            elif "nseg" in disc:
                sec.nseg = disc["nseg"]
            else:
                sec.nseg = dlambda_nseg(sec, disc.get("d_lambda", 0.1), disc.get("frequency", 100.0))
        for m in spec.get("mechanisms", []):
            params = dict(m.get("parameters", {}))
            if m["name"] == "hh" and "celsius" in params:
                h.celsius = params.pop("celsius")
            if params.pop("UseTable", True) is False:
                h.usetable_hh = 0
            for name in m.get("sections", self.order):
                sec = self.sections[name]
                sec.insert(m["name"])
                for seg in sec:
                    for key, value in params.items():
                        if key in ("ena", "ek"):
                            setattr(seg, key, value)
                        else:
                            setattr(getattr(seg, m["name"]), key, value)
        self.points = {}
        for p in spec.get("point_processes", []):
            pp = getattr(h, p["mechanism"])(self.sections[p["section"]](p.get("x", 0.5)))
            for key, value in p.get("parameters", {}).items():
                setattr(pp, "delay" if key == "del" else key, value)
            self.points[p["name"]] = pp
        det = spec.get("detector", {})
        self.detector_sec = self.sections[det.get("section", self.order[0])]
        self.detector_x = det.get("x", 0.5)
        self.threshold = spec.get("threshold", 10.0)
        self.spikes = h.Vector()
        self.recorder = h.NetCon(self.detector_sec(self.detector_x)._ref_v, None, sec=self.detector_sec)
        self.recorder.threshold = self.threshold
        self.recorder.record(self.spikes)
        self.traces = []
        self.soma_columns = []
        for name in self.order:
            sec = self.sections[name]
            for j in range(sec.nseg):
                if name == self.order[0] and abs((j + 0.5) / sec.nseg - 0.5) <= 0.5 / sec.nseg:
                    self.soma_columns.append(len(self.traces))
                vec = h.Vector()
                vec.record(sec((j + 0.5) / sec.nseg)._ref_v)
                self.traces.append(vec)


def load_swc(self, pop, index, morph, ra, cm):
    """Import3d into the top level (one SWC cell per run: its sections are global), named as BioSim names them."""
    if index > 0 or any(s.name().startswith("soma") for s in h.allsec()):
        raise SystemExit("neuron_experiment.py: an SWC population must have size 1 and be the only SWC cell")
    path = morph["swc"]
    if not os.path.isabs(path):
        path = os.path.join(os.path.dirname(os.path.abspath(EXPERIMENT)), path)
    reader = h.Import3d_SWC_read()
    reader.input(path)
    h.Import3d_GUI(reader, 0).instantiate(None)
    for sec in h.allsec():
        if sec.name().startswith(f"{pop}["):
            continue
        name = "soma" if sec.name() == "soma[0]" else sec.name()
        sec.Ra, sec.cm = ra, cm
        self.sections[name] = sec
        self.order.append(name)
    # BioSim's column order is its section order: the soma, then depth first from the soma in SWC order. For a file
    # numbered depth first (as NeuroMorpho's are), that is the order of the SWC id of each section's last point.
    points = []
    with open(path) as f:
        for line in f:
            fields = line.split("#")[0].split()
            if len(fields) == 7:
                points.append((int(fields[0]), float(fields[2]), float(fields[3]), float(fields[4])))

    def last_id(name):
        sec = self.sections[name]
        n = int(sec.n3d()) - 1
        x, y, z = sec.x3d(n), sec.y3d(n), sec.z3d(n)
        return min(points, key=lambda p: (p[1] - x) ** 2 + (p[2] - y) ** 2 + (p[3] - z) ** 2)[0]

    self.order.sort(key=lambda n: -1 if n == "soma" else last_id(n))


Cell.load_swc = load_swc
EXPERIMENT = ""


def pairs(connectivity, n_source, n_target, same):
    rule = connectivity["rule"]
    if rule == "one-to-one":
        return [(i, i) for i in range(n_source)]
    if rule == "all-to-all":
        autapses = connectivity.get("allow_autapses", True)
        return [(i, j) for i in range(n_source) for j in range(n_target) if autapses or not same or i != j]
    raise SystemExit(f"neuron_experiment.py: connectivity rule '{rule}' is not supported")


def main():
    global EXPERIMENT
    experiment_path, output_path = sys.argv[1], sys.argv[2]
    EXPERIMENT = experiment_path
    with open(experiment_path) as f:
        experiment = json.load(f)
    dt, duration = experiment["dt"], experiment["duration"]
    pops = {p["name"]: p for p in experiment["populations"]}
    cable = [p for p in experiment["populations"] if p["model"] == "cable"]
    methods = {p.get("method", "backward-euler") for p in cable}
    if len(methods) != 1:
        raise SystemExit("neuron_experiment.py: all cable populations must use one method")
    h.celsius = 6.3
    cells = {p["name"]: [Cell(p["name"], i, p["cell"]) for i in range(p["size"])] for p in cable}
    keep = []
    events = []
    with h5py.File(output_path, "r") as out:
        for proj in experiment.get("projections", []):
            target = proj["target"]
            if target not in cells:
                continue
            source = proj["source"]
            weight, delay = proj["weight"], proj.get("delay", 0.0)
            if not isinstance(weight, (int, float)) or not isinstance(delay, (int, float)):
                raise SystemExit("neuron_experiment.py: weights and delays must be constants")
            links = pairs(proj["connectivity"], pops[source]["size"], pops[target]["size"], source == target)
            if source in cells:
                for i, j in links:
                    src = cells[source][i]
                    nc = h.NetCon(src.detector_sec(src.detector_x)._ref_v, cells[target][j].points[proj["receptor"]], sec=src.detector_sec)
                    nc.threshold, nc.delay, nc.weight[0] = src.threshold, delay, weight
                    keep.append(nc)
            else:
                times = out[f"spikes/{source}/timestamps"][()]
                ids = out[f"spikes/{source}/node_ids"][()]
                for i, j in links:
                    nc = h.NetCon(None, cells[target][j].points[proj["receptor"]])
                    nc.weight[0] = weight
                    keep.append(nc)
                    for t in times[ids == i]:
                        step_end = math.ceil(t / dt - 1e-9) * dt
                        events.append((step_end + delay, nc))

        def send():
            for t, nc in events:
                nc.event(t)

        fih = h.FInitializeHandler(send)
        h.cvode.active(0)
        h.secondorder = 2 if methods.pop() == "crank-nicolson" else 0
        h.dt = dt
        h.steps_per_ms = 1.0 / dt
        h.tstop = duration
        v_init = {c["cell"].get("v_init", -65.0) for c in cable}
        h.finitialize(v_init.pop())
        h.continuerun(duration)

        result = {"neuron_version": h.nrnversion(), "populations": {}}
        for name, group in cells.items():
            data = out[f"report/{name}/data"][()]
            pointers = out[f"report/{name}/mapping/index_pointers"][()]
            node_ids = out[f"report/{name}/mapping/node_ids"][()]
            biosim_spikes = {}
            if f"spikes/{name}" in out:
                t, ids = out[f"spikes/{name}/timestamps"][()], out[f"spikes/{name}/node_ids"][()]
                biosim_spikes = {int(c): t[ids == c].tolist() for c in node_ids}
            max_dv, max_soma, frames = 0.0, 0.0, data.shape[0]
            for k, c in enumerate(node_ids):
                cell = group[int(c)]
                ref = np.array([np.array(vec)[1:frames + 1] for vec in cell.traces]).T
                ours = data[:, pointers[k]:pointers[k + 1]]
                if ours.shape != ref.shape:
                    raise SystemExit(f"{name} cell {c}: BioSim has {ours.shape} frames x compartments, NEURON {ref.shape}")
                diff = np.abs(ours - ref)
                max_dv = max(max_dv, float(diff.max()))
                max_soma = max(max_soma, float(diff[:, cell.soma_columns].max()))
            result["populations"][name] = {
                "max_dv": max_dv, "max_dv_soma": max_soma, "frames": frames, "compartments": int(data.shape[1]),
                "neuron_spikes": {int(c): list(group[int(c)].spikes) for c in node_ids},
                "biosim_spikes": biosim_spikes,
            }
    del keep, fih
    print(json.dumps(result))


if __name__ == "__main__":
    main()
