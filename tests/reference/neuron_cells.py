#!/usr/bin/python3
"""Reference traces of two multi-compartment cells from NEURON 8.2 for BioSim's cable solver.

Cells (geometry, mechanisms and stimuli are written into the JSON so that the C# test builds the same):
  ball_and_stick  soma 20 x 20 um (nseg 1, hh) + dendrite 800 x 2 um (pas g 1e-4, e -65) at soma(1)
  three_dend      soma 20 x 20 um (hh); basal 200 x 1.5 um at soma(0); apical trunk 400 x 3 um at soma(1)
                  and apical tuft 250 x 1.5 um at trunk(1); dendrites pas; nseg by the d_lambda rule (0.1, 100 Hz)
All sections Ra = 100 ohm cm, cm = 1 uF/cm2; hh with NEURON's defaults (usetable_hh = 1, celsius 6.3).
Stimuli:
  step      IClamp at soma(0.5): del 5 ms, dur 30 ms, amp given per cell (suprathreshold) and a subthreshold one
  synapses  ExpSyn (tau 2, e 0) at the apical tuft(0.5) / dend(0.8) and Exp2Syn (tau1 0.5, tau2 5, e 0) at the
            apical trunk(0.7) / dend(0.5), driven by NetCon events at fixed times (NetCon.event in an FInitializeHandler)
Methods: fixed-step backward Euler (secondorder 0) and Crank-Nicolson (secondorder 2) at dt = 0.025 ms, and
CVODE (atol 1e-6, rtol 0) recorded every 0.025 ms as the converged reference.
Recorded: v at every probe every 0.1 ms (every 4th step) and the spike times of a NetCon on soma(0.5) (threshold 10 mV).

Run:  /usr/bin/python3 tests/reference/neuron_cells.py -o tests/data/neuron_cells.json
"""
import argparse
import json

from neuron import h

h.load_file("stdrun.hoc")

RA, CM = 100.0, 1.0
TSTOP, DT = 40.0, 0.025
RECORD_DT = 0.1  # traces are sampled every 4 steps to keep the file small


def dlambda_nseg(sec, d_lambda=0.1, freq=100.0):
    return int((sec.L / (d_lambda * h.lambda_f(freq, sec=sec)) + 0.9) / 2) * 2 + 1


CELLS = {
    "ball_and_stick": {
        "sections": [
            {"name": "soma", "L": 20.0, "diam": 20.0, "parent": None, "parent_x": 0.0, "nseg": 1, "kind": "soma"},
            {"name": "dend", "L": 800.0, "diam": 2.0, "parent": "soma", "parent_x": 1.0, "nseg": 41, "kind": "basal"},
        ],
        "hh": ["soma"],
        "pas": {"sections": ["dend"], "g": 1e-4, "e": -65.0},
        "probes": [["soma", 0.5], ["dend", 0.5], ["dend", 0.975]],
        "step_amp": 0.3, "sub_amp": 0.02,
        "expsyn": ["dend", 0.8], "exp2syn": ["dend", 0.5],
    },
    "three_dend": {
        "sections": [
            {"name": "soma", "L": 20.0, "diam": 20.0, "parent": None, "parent_x": 0.0, "nseg": 1, "kind": "soma"},
            {"name": "basal", "L": 200.0, "diam": 1.5, "parent": "soma", "parent_x": 0.0, "nseg": None, "kind": "basal"},
            {"name": "trunk", "L": 400.0, "diam": 3.0, "parent": "soma", "parent_x": 1.0, "nseg": None, "kind": "apical"},
            {"name": "tuft", "L": 250.0, "diam": 1.5, "parent": "trunk", "parent_x": 1.0, "nseg": None, "kind": "apical"},
        ],
        "hh": ["soma"],
        "pas": {"sections": ["basal", "trunk", "tuft"], "g": 1e-4, "e": -65.0},
        "probes": [["soma", 0.5], ["basal", 0.5], ["trunk", 0.7], ["tuft", 0.5]],
        "step_amp": 0.3, "sub_amp": 0.02,
        "expsyn": ["tuft", 0.5], "exp2syn": ["trunk", 0.7],
    },
}

# (time ms, synapse, weight uS): a subthreshold pair, then a volley that fires the soma.
EVENTS = [
    [3.0, "expsyn", 0.002], [4.0, "exp2syn", 0.001],
    [12.0, "expsyn", 0.02], [12.5, "exp2syn", 0.01], [13.0, "expsyn", 0.02], [13.6, "exp2syn", 0.01],
    [25.0, "exp2syn", 0.02], [25.3, "expsyn", 0.03],
]
EXPSYN = {"tau": 2.0, "e": 0.0}
EXP2SYN = {"tau1": 0.5, "tau2": 5.0, "e": 0.0}


def build(spec):
    secs = {}
    for s in spec["sections"]:
        sec = h.Section(name=s["name"])
        sec.L, sec.diam, sec.Ra, sec.cm = s["L"], s["diam"], RA, CM
        if s["parent"] is not None:
            sec.connect(secs[s["parent"]](s["parent_x"]), 0)
        secs[s["name"]] = sec
    for s in spec["sections"]:
        sec = secs[s["name"]]
        sec.nseg = s["nseg"] if s["nseg"] is not None else dlambda_nseg(sec)
        s["nseg_used"] = sec.nseg
    for name in spec["hh"]:
        secs[name].insert("hh")
    for name in spec["pas"]["sections"]:
        secs[name].insert("pas")
        for seg in secs[name]:
            seg.pas.g, seg.pas.e = spec["pas"]["g"], spec["pas"]["e"]
    return secs


def run(cell_name, stimulus, method):
    spec = CELLS[cell_name]
    secs = build(spec)
    soma = secs["soma"]
    keep = []
    if stimulus in ("step", "sub"):
        stim = h.IClamp(soma(0.5))
        stim.delay, stim.dur = 5.0, 30.0
        stim.amp = spec["step_amp"] if stimulus == "step" else spec["sub_amp"]
        keep.append(stim)
    else:
        syn1 = h.ExpSyn(secs[spec["expsyn"][0]](spec["expsyn"][1]))
        syn1.tau, syn1.e = EXPSYN["tau"], EXPSYN["e"]
        syn2 = h.Exp2Syn(secs[spec["exp2syn"][0]](spec["exp2syn"][1]))
        syn2.tau1, syn2.tau2, syn2.e = EXP2SYN["tau1"], EXP2SYN["tau2"], EXP2SYN["e"]
        # One NetCon per event so each carries its own weight (NetCon.event ignores the NetCon delay).
        per_event = []
        for t, which, w in EVENTS:
            nc = h.NetCon(None, syn1 if which == "expsyn" else syn2)
            nc.weight[0] = w
            per_event.append((t, nc))

        def send():
            for t, nc in per_event:
                nc.event(t)

        fih = h.FInitializeHandler(send)
        keep += [syn1, syn2, per_event, fih]
    detector = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    detector.threshold = 10.0
    spikes = h.Vector()
    detector.record(spikes)
    probes = []
    for name, x in spec["probes"]:
        vec = h.Vector()
        vec.record(secs[name](x)._ref_v, RECORD_DT)
        probes.append(vec)
    if method == "cvode":
        h.cvode.active(1)
        h.cvode.atol(1e-6)
        h.cvode.rtol(0)
    else:
        h.cvode.active(0)
        h.secondorder = 0 if method == "backward_euler" else 2
        h.dt = DT
    h.celsius = 6.3
    h.tstop = TSTOP
    h.finitialize(-65.0)
    h.continuerun(TSTOP)
    result = {
        "cell": cell_name, "stimulus": stimulus, "method": method, "dt": DT, "record_dt": RECORD_DT, "tstop": TSTOP,
        "spikes": [round(t, 10) for t in spikes],
        "traces": [[round(v, 6) for v in vec] for vec in probes],
    }
    h.cvode.active(0)
    h.secondorder = 0
    del keep
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    runs = []
    for cell in CELLS:
        for stimulus in ("step", "sub", "synapses"):
            for method in ("backward_euler", "crank_nicolson", "cvode"):
                runs.append(run(cell, stimulus, method))
                r = runs[-1]
                print(f"{cell:15s} {stimulus:9s} {method:15s} spikes {len(r['spikes']):2d} "
                      f"{', '.join(f'{t:.3f}' for t in r['spikes'][:6])}", flush=True)
    out = {
        "generator": "tests/reference/neuron_cells.py",
        "neuron_version": h.nrnversion(),
        "Ra": RA, "cm": CM, "v_init": -65.0, "celsius": 6.3, "threshold": 10.0,
        "iclamp": {"del": 5.0, "dur": 30.0},
        "expsyn": EXPSYN, "exp2syn": EXP2SYN, "events": EVENTS,
        "cells": CELLS,
        "runs": runs,
    }
    with open(args.output, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
