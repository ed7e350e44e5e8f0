#!/usr/bin/python3
"""Brian2 reference for Song, Miller & Abbott (2000): STDP makes the weights of 1000 Poisson inputs bimodal.

Reference: Brian2's own example ``examples/synapses/STDP.py`` (Song, Miller & Abbott 2000), reproduced below with
its parameters; only ``--seed(s)``, ``--duration`` and the device are added:

    N = 1000 Poisson inputs at F = 15 Hz, all-to-all onto one neuron,
    dv/dt = (ge (Ee - v) + El - v) / taum,  dge/dt = -ge / taue   (ge in units of the leak conductance)
    taum 10 ms, Ee 0 mV, vt -54 mV, vr -60 mV, El -74 mV, taue 5 ms, method 'euler', dt 0.1 ms (no refractoriness),
    w : 1 in [0, gmax], gmax 0.01, initial w = rand() * gmax,
    on_pre: ge += w; Apre += dApre; w = clip(w + Apost, 0, gmax)
    on_post: Apost += dApost; w = clip(w + Apre, 0, gmax)
    taupre = taupost = 20 ms, dApre = 0.01 gmax, dApost = -1.05 dApre (Apre, Apost event-driven traces).

BioSim's examples/stdp-song2000.json is the same model with g_L = 10 nS (so w_BioSim = 10 nS * w_Brian2 and
gmax = 0.1 nS) on lif-cond with an exp-conductance receptor.

Per seed, at the end of the run (JSON):
    frac_low      fraction of weights below 0.1 gmax
    frac_high     fraction of weights above 0.9 gmax
    mean_w        mean weight / gmax
    rate_hz       output rate over the whole run
    rate_last_hz  output rate over the last 10 s
    sim_seconds   Brian2's own wall time of run() (cpp_standalone: the binary's run time)

Brian2, numpy and h5py are installed for /usr/bin/python3 only:
    /usr/bin/python3 tests/reference/brian2_stdp_song.py --seeds 1 2 3 4 5 6 -o tests/data/brian2_stdp_song_reference.json
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)  # pythran/numpy noise on Debian

import numpy as np
import brian2
from brian2 import (NeuronGroup, PoissonGroup, Synapses, SpikeMonitor, Network, defaultclock, seed, ms, mV, Hz, second,
                    set_device, device, prefs)

PARAMS = {"N": 1000, "taum": 10.0, "taupre": 20.0, "taupost": 20.0, "Ee": 0.0, "vt": -54.0, "vr": -60.0, "El": -74.0,
          "taue": 5.0, "F": 15.0, "gmax": 0.01, "dApre": 0.01}


def build(duration_s):
    """Brian2's examples/synapses/STDP.py; returns (net, S, mon)."""
    p = PARAMS
    gmax = p["gmax"]
    dApre = p["dApre"]
    dApost = -dApre * p["taupre"] / p["taupost"] * 1.05
    namespace = {"taum": p["taum"] * ms, "taupre": p["taupre"] * ms, "taupost": p["taupost"] * ms, "Ee": p["Ee"] * mV,
                 "vt": p["vt"] * mV, "vr": p["vr"] * mV, "El": p["El"] * mV, "taue": p["taue"] * ms, "gmax": gmax,
                 "dApre": dApre * gmax, "dApost": dApost * gmax}
    eqs = '''
    dv/dt = (ge * (Ee-v) + El - v) / taum : volt
    dge/dt = -ge / taue : 1
    '''
    inp = PoissonGroup(p["N"], rates=p["F"] * Hz)
    neurons = NeuronGroup(1, eqs, threshold='v>vt', reset='v = vr', method='euler', namespace=namespace)
    neurons.v = p["El"] * mV
    S = Synapses(inp, neurons,
                 '''w : 1
                    dApre/dt = -Apre / taupre : 1 (event-driven)
                    dApost/dt = -Apost / taupost : 1 (event-driven)''',
                 on_pre='''ge += w
                    Apre += dApre
                    w = clip(w + Apost, 0, gmax)''',
                 on_post='''Apost += dApost
                    w = clip(w + Apre, 0, gmax)''', namespace=namespace)
    S.connect()
    S.w = 'rand() * gmax'
    mon = SpikeMonitor(neurons)
    net = Network(inp, neurons, S, mon)
    return net, S, mon


def summarise(w, spike_times_s, duration_s, sim_seconds):
    gmax = PARAMS["gmax"]
    t = np.asarray(spike_times_s)
    return {"frac_low": float(np.mean(w < 0.1 * gmax)), "frac_high": float(np.mean(w > 0.9 * gmax)),
            "mean_w": float(np.mean(w) / gmax), "rate_hz": float(len(t) / duration_s),
            "rate_last_hz": float(np.sum(t >= duration_s - 10.0) / 10.0), "sim_seconds": sim_seconds}


def run_seed(s, duration_s, target, dt_ms=0.1):
    if target == "cpp_standalone":
        build_dir = tempfile.mkdtemp(prefix="brian2_stdp_")
        set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        device.reinit()
        device.activate(directory=build_dir, build_on_run=False)
    else:
        prefs.codegen.target = target
    defaultclock.dt = dt_ms * ms
    seed(s)
    net, S, mon = build(duration_s)
    net.run(duration_s * second, report=None)
    if target == "cpp_standalone":
        device.build(directory=build_dir, compile=True, run=False)
        start = time.perf_counter()
        device.run(directory=build_dir, with_output=False, run_args=[])
        sim = time.perf_counter() - start
    else:
        sim = net._last_run_time if hasattr(net, "_last_run_time") else float("nan")
    return summarise(np.array(S.w[:]), mon.t[:] / second, duration_s, sim)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--duration", type=float, default=100.0, help="seconds (default 100, as the example)")
    ap.add_argument("--dt", type=float, default=0.1, help="ms (default 0.1, as the example; smaller shows the grid's bias)")
    ap.add_argument("--target", default="cython", choices=["cython", "numpy", "cpp_standalone"])
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    runs = {}
    for s in args.seeds:
        runs[str(s)] = run_seed(s, args.duration, args.target, args.dt)
        print(f"seed {s}: {runs[str(s)]}", file=sys.stderr, flush=True)
    result = {"source": "tests/reference/brian2_stdp_song.py (Brian2 examples/synapses/STDP.py)",
              "brian2": brian2.__version__, "target": args.target, "duration_s": args.duration, "dt_ms": args.dt,
              "date": datetime.date.today().isoformat(), "params": PARAMS, "seeds": runs}
    text = json.dumps(result, indent=1)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
