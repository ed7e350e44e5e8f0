#!/usr/bin/python3
"""Load an SWC file with NEURON's Import3d and report what NEURON built, for BioSim's SWC reader tests.

Usage: /usr/bin/python3 swc_neuron.py FILE.swc

NEURON 8.2 (Debian python3-neuron): Import3d_SWC_read + Import3d_GUI.instantiate, then every section gets
Ra 100 ohm cm, cm 1 uF/cm2, pas (g 1e-4 S/cm2, e -65 mV) and nseg by the d_lambda rule (0.1 at 100 Hz).
Prints one JSON object:
  sections    name, L (um), nseg, area (um2, sum of seg.area()), parent section and x, number of 3-d points
  total_area  um2
  input_resistance  MOhm at soma(0.5), from h.Impedance at 0 Hz
  transient   v at soma(0.5) after every step of a passive run: IClamp 0.05 nA at soma(0.5) from 1 to 11 ms,
              fixed-step backward Euler, dt 0.025 ms, 20 ms, v_init -65 mV (first value: t = dt)
"""
import json
import sys

from neuron import h

h.load_file("stdrun.hoc")
h.load_file("import3d.hoc")


def dlambda_nseg(sec, d_lambda=0.1, freq=100.0):
    return int((sec.L / (d_lambda * h.lambda_f(freq, sec=sec)) + 0.9) / 2) * 2 + 1


def name(sec):
    n = sec.name()
    return "soma" if n == "soma[0]" else n


def main():
    reader = h.Import3d_SWC_read()
    reader.input(sys.argv[1])
    gui = h.Import3d_GUI(reader, 0)
    gui.instantiate(None)
    sections = list(h.allsec())
    for sec in sections:
        sec.Ra, sec.cm = 100.0, 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 1e-4, -65.0
    for sec in sections:
        sec.nseg = dlambda_nseg(sec)
    soma = next(s for s in sections if s.name().startswith("soma"))
    out = {"neuron_version": h.nrnversion(), "sections": []}
    for sec in sections:
        parent = sec.parentseg()
        out["sections"].append({
            "name": name(sec), "L": sec.L, "nseg": sec.nseg, "area": sum(seg.area() for seg in sec),
            "parent": name(parent.sec) if parent is not None else None, "parent_x": parent.x if parent is not None else None,
            "n3d": int(sec.n3d()),
        })
    out["total_area"] = sum(s["area"] for s in out["sections"])
    h.finitialize(-65.0)
    imp = h.Impedance()
    imp.loc(0.5, sec=soma)
    imp.compute(0)
    out["input_resistance"] = imp.input(0.5, sec=soma)

    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 1.0, 10.0, 0.05
    v = h.Vector()
    v.record(soma(0.5)._ref_v)
    h.cvode.active(0)
    h.secondorder = 0
    h.dt = 0.025
    h.steps_per_ms = 40
    h.tstop = 20.0
    h.finitialize(-65.0)
    h.continuerun(20.0)
    out["transient"] = list(v)[1:]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
