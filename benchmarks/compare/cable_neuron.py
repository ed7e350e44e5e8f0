#!/usr/bin/python3
"""NEURON half of the cable benchmark (BioSim half: benchmarks/Cable/CableCompare.cs, same cells).

Cell: soma 20 x 20 um (nseg 1) and apical trunk 600 x 3 um (nseg 101) with hh; four basal dendrites
200 x 1.5 um (nseg 25) at soma(0) with pas (g 1e-4, e -65); Ra 100; 202 segments. Every soma gets a 0.3 nA
step from t = 0; an ExpSyn (tau 2, e 0) sits at apic(0.5). Network: 100 cells, cell i receives from cells
i+1 .. i+10 (mod 100) through NetCons on soma(0.5) v (threshold 10), weight 0.0005 uS, delay 1 ms.
dt 0.025 ms, 1 s, fixed step backward Euler (secondorder 0), one thread. Timed: h.continuerun after
h.finitialize (construction apart). Prints one JSON line per case.

Wall time and process CPU time are both reported (CPU time is less sensitive to other work on a shared machine).

With --threads N, NEURON's own threads (ParallelContext.nthread: cells are distributed over N threads).

Run:  /usr/bin/python3 benchmarks/compare/cable_neuron.py [--threads N] [cells ...]   (default: 1 100)
Both halves in one run, with the ratio and peak memory: benchmarks/compare/cable_compare.py.
"""
import json
import time

from neuron import h

h.load_file("stdrun.hoc")


class Cell:
    def __init__(self, i):
        self.soma = h.Section(name=f"soma{i}")
        self.soma.L = self.soma.diam = 20
        self.apic = h.Section(name=f"apic{i}")
        self.apic.L, self.apic.diam, self.apic.nseg = 600, 3, 101
        self.apic.connect(self.soma(1), 0)
        self.dends = []
        for k in range(4):
            d = h.Section(name=f"dend{i}_{k}")
            d.L, d.diam, d.nseg = 200, 1.5, 25
            d.connect(self.soma(0), 0)
            d.insert("pas")
            for seg in d:
                seg.pas.g, seg.pas.e = 1e-4, -65
            self.dends.append(d)
        for sec in [self.soma, self.apic] + self.dends:
            sec.Ra = 100
        self.soma.insert("hh")
        self.apic.insert("hh")
        self.stim = h.IClamp(self.soma(0.5))
        self.stim.delay, self.stim.dur, self.stim.amp = 0, 1e9, 0.3
        self.syn = h.ExpSyn(self.apic(0.5))
        self.syn.tau, self.syn.e = 2, 0


def run(n_cells, threads=1):
    t0 = time.perf_counter()
    cells = [Cell(i) for i in range(n_cells)]
    netcons = []
    if n_cells > 1:
        for i, c in enumerate(cells):
            for d in range(1, 11):
                src = cells[(i + d) % n_cells]
                nc = h.NetCon(src.soma(0.5)._ref_v, c.syn, sec=src.soma)
                nc.threshold, nc.weight[0], nc.delay = 10, 0.0005, 1.0
                netcons.append(nc)
    spikes = h.Vector()
    ids = h.Vector()
    detectors = []
    for i, c in enumerate(cells):
        nc = h.NetCon(c.soma(0.5)._ref_v, None, sec=c.soma)
        nc.threshold = 10
        nc.record(spikes, ids, i)
        detectors.append(nc)
    h.cvode.active(0)
    h.ParallelContext().nthread(threads)
    h.secondorder = 0
    h.dt = 0.025
    h.tstop = 1000
    build = time.perf_counter() - t0
    h.finitialize(-65)
    t1, c1 = time.perf_counter(), time.process_time()
    h.continuerun(1000)
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    segments = sum(sec.nseg for sec in h.allsec()) // n_cells
    steps = round(1000 / 0.025)
    print(json.dumps({"simulator": "NEURON " + h.nrnversion(5), "cells": n_cells, "segments_per_cell": segments,
                      "threads": threads, "steps": steps, "build_s": round(build, 3), "run_s": round(wall, 3),
                      "ns_per_segment_step": round(wall * 1e9 / (steps * segments * n_cells), 2),
                      "cpu_s": round(cpu, 3), "cpu_ns_per_segment_step": round(cpu * 1e9 / (steps * segments * n_cells), 2),
                      "spikes": int(spikes.size())}), flush=True)
    return cells, netcons, detectors


if __name__ == "__main__":
    import sys
    args = sys.argv[1:]
    threads = 1
    if args[:1] == ["--threads"]:
        threads, args = int(args[1]), args[2:]
    for n in [int(a) for a in args] or (1, 100):
        keep = run(n, threads)
        del keep
