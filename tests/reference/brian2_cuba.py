#!/usr/bin/python3
"""Brian2 reference statistics for the CUBA benchmark network.

Reference: Brian2's own example ``examples/CUBA.py`` (Vogels & Abbott 2005; Brette et al. 2007,
benchmark 2), reproduced line for line below, with two knobs added:

* ``--seed`` / ``--seeds``: Brian2's ``seed()`` fixes the initial voltages and the connectivity;
* ``--n``: network size N (80 % excitatory), with connection probability p = 80 / N so every neuron
  keeps ~80 inputs on average (N = 4000 gives p = 0.02, the original example);
* ``--we``, ``--wi``, ``--taui``, ``--refractory``, ``--vr``: one of CUBA's parameters changed, to measure
  how far Brian2 itself moves the statistics when it is wrong (the perturbations of
  tests/Validation/CubaPerturbationTests.cs); the reference uses the defaults.

Model (units ms, mV):
    dv/dt  = (ge + gi - (v - El)) / taum   (unless refractory)
    dge/dt = -ge / taue
    dgi/dt = -gi / taui
    taum 20, taue 5, taui 10, Vt -50, Vr -60, El -49, refractory 5, threshold v > Vt, reset v = Vr,
    method 'exact', v(0) = Vr + rand() * (Vt - Vr), ge = gi = 0,
    exc -> all: p, on_pre ge += 1.62 mV;  inh -> all: p, on_pre gi += -9 mV;  dt 0.1 ms, 1 s.

Statistics written to JSON (over the whole run, all neurons):
    rate_hz        total spikes / (N * duration)
    spikes         total spike count
    cv_isi_mean    mean over neurons with >= 3 spikes of std(ISI)/mean(ISI)
    cv_isi_median  median of the same
    fano_10ms      var/mean of the population spike count in 10 ms bins
    v_mean_mv      mean of v over all neurons and all steps (v read after each step's reset, i.e. at
                   t = dt, 2 dt, ..., T; refractory neurons count at Vr)
plus the excitatory and inhibitory rates apart and the fraction of neurons that spiked at least 3 times.

Brian2, numpy and h5py are installed for /usr/bin/python3 only: run it as
    /usr/bin/python3 tests/reference/brian2_cuba.py --seeds 1 2 3 4 5 -o tests/data/brian2_cuba_reference.json
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)  # pythran/numpy noise on Debian

import numpy as np
import brian2
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, Network, defaultclock, prefs, seed,
                    ms, mV, second)


# CUBA.py's values (ms, mV); --we, --wi, --taui, --refractory, --vr override one of them.
CUBA = {"taum": 20.0, "taue": 5.0, "taui": 10.0, "Vt": -50.0, "Vr": -60.0, "El": -49.0,
        "we": 60 * 0.27 / 10, "wi": -20 * 4.5 / 10, "refractory": 5.0}


def build_cuba(n, method="exact", delay_ms=0.0, overrides=None):
    """Build Brian2's examples/CUBA.py at size N (p = 80 / N) in the current scope and device; return the objects
    a Network needs, (P, Pe, Pi, Ce, Ci, s_mon), and n_exc. The constants go in each group's namespace, so that the
    caller may run the network from any frame (benchmarks/compare/cuba_brian2.py runs it on the cpp_standalone device).
    overrides: a dict of CUBA keys to change (ms, mV). Call brian2's seed() first: it fixes the initial voltages
    and the connectivity."""
    c = dict(CUBA, **(overrides or {}))
    namespace = {
        "taum": c["taum"] * ms,
        "taue": c["taue"] * ms,
        "taui": c["taui"] * ms,
        "Vt": c["Vt"] * mV,
        "Vr": c["Vr"] * mV,
        "El": c["El"] * mV,
        "we": c["we"] * mV,  # excitatory synaptic weight (voltage), (60 * 0.27 / 10) mV in CUBA.py
        "wi": c["wi"] * mV,  # inhibitory synaptic weight, (-20 * 4.5 / 10) mV in CUBA.py
    }
    eqs = '''
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    '''
    P = NeuronGroup(n, eqs, threshold='v>Vt', reset='v = Vr', refractory=c["refractory"] * ms, method=method, namespace=namespace)
    P.v = 'Vr + rand() * (Vt - Vr)'
    P.ge = 0 * mV
    P.gi = 0 * mV

    n_exc = int(round(0.8 * n))
    p = 80.0 / n
    Pe = P[:n_exc]
    Pi = P[n_exc:]
    Ce = Synapses(Pe, P, on_pre='ge += we', namespace=namespace)
    Ci = Synapses(Pi, P, on_pre='gi += wi', namespace=namespace)
    Ce.connect(p=p)
    Ci.connect(p=p)
    if delay_ms > 0:  # sensitivity checks only; the reference has no delay
        Ce.delay = delay_ms * ms
        Ci.delay = delay_ms * ms
    s_mon = SpikeMonitor(P)
    return (P, Pe, Pi, Ce, Ci, s_mon), n_exc


def run_cuba(n, seed_value, duration_ms=1000.0, dt_ms=0.1, target="cython", method="exact",
             delay_ms=0.0, overrides=None):
    """Run one CUBA network; return spike indices (int array), times (ms, float array), n_exc, the number of
    synapses and the mean of v (mV) over neurons and steps."""
    prefs.codegen.target = target
    brian2.start_scope()
    defaultclock.dt = dt_ms * ms
    seed(seed_value)
    objects, n_exc = build_cuba(n, method, delay_ms, overrides)
    P, _, _, Ce, Ci, s_mon = objects
    v_sum = [0.0, 0]

    @brian2.network_operation(when="end")
    def accumulate_v():  # reads v only: draws no random number, changes nothing
        v_sum[0] += float(np.mean(P.v_[:]))
        v_sum[1] += 1

    net = Network(*objects, accumulate_v)
    net.run(duration_ms * ms)
    synapses = int(len(Ce) + len(Ci))
    return (np.asarray(s_mon.i[:], dtype=np.int64), np.asarray(s_mon.t[:] / ms, dtype=float),
            n_exc, synapses, 1000.0 * v_sum[0] / v_sum[1])


def statistics_of(i, t, n, n_exc, duration_ms, bin_ms=10.0):
    spikes = int(len(i))
    order = np.lexsort((t, i))
    i_sorted, t_sorted = i[order], t[order]
    counts = np.bincount(i_sorted, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    cvs = []
    for k in range(n):
        if counts[k] >= 3:
            isi = np.diff(t_sorted[starts[k]:starts[k] + counts[k]])
            cvs.append(float(np.std(isi) / np.mean(isi)))
    nbins = int(round(duration_ms / bin_ms))
    pop, _ = np.histogram(t, bins=nbins, range=(0.0, duration_ms))
    fano = float(np.var(pop) / np.mean(pop)) if pop.mean() > 0 else float("nan")
    dur_s = duration_ms / 1000.0
    # The same after the initial transient (v(0) is spread below threshold and El > Vt, so the
    # first ~100 ms hold a synchronous volley that dominates the whole-run Fano factor).
    skip = min(100.0, duration_ms / 2)
    late = t >= skip
    pop_late, _ = np.histogram(t[late], bins=int(round((duration_ms - skip) / bin_ms)),
                               range=(skip, duration_ms))
    return {
        "rate_hz": spikes / (n * dur_s),
        "rate_exc_hz": float(counts[:n_exc].sum()) / (n_exc * dur_s),
        "rate_inh_hz": float(counts[n_exc:].sum()) / ((n - n_exc) * dur_s),
        "spikes": spikes,
        "cv_isi_mean": float(np.mean(cvs)) if cvs else float("nan"),
        "cv_isi_median": float(np.median(cvs)) if cvs else float("nan"),
        "neurons_with_3_spikes": len(cvs),
        "fano_10ms": fano,
        "rate_after_100ms_hz": float(late.sum()) / (n * (duration_ms - skip) / 1000.0),
        "fano_10ms_after_100ms": (float(np.var(pop_late) / np.mean(pop_late))
                                  if pop_late.mean() > 0 else float("nan")),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=None, help="one seed (same as --seeds S)")
    ap.add_argument("--seeds", type=int, nargs="+", default=None, help="several seeds; default 1")
    ap.add_argument("--n", type=int, default=4000, help="network size N (p = 80/N); default 4000")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms; default 1000")
    ap.add_argument("--dt", type=float, default=0.1, help="ms; default 0.1")
    ap.add_argument("--target", choices=["cython", "numpy"], default="cython",
                    help="Brian2 runtime code-generation target; default cython")
    ap.add_argument("--method", default="exact",
                    help="Brian2 integration method (sensitivity checks; the reference is exact)")
    ap.add_argument("--delay", type=float, default=0.0,
                    help="synaptic delay in ms (sensitivity checks; the reference has none)")
    for key, help_text in (("we", "excitatory weight, mV"), ("wi", "inhibitory weight, mV"),
                           ("taui", "inhibitory time constant, ms"), ("refractory", "refractory period, ms"),
                           ("vr", "reset potential, mV")):
        ap.add_argument("--" + key, type=float, default=None,
                        help=f"{help_text} (perturbation checks; default CUBA.py's)")
    ap.add_argument("-o", "--output", default=None, help="JSON file (default: stdout)")
    args = ap.parse_args(argv)
    overrides = {name: getattr(args, key) for key, name in
                 (("we", "we"), ("wi", "wi"), ("taui", "taui"), ("refractory", "refractory"), ("vr", "Vr"))
                 if getattr(args, key) is not None}

    seeds = args.seeds if args.seeds else [args.seed if args.seed is not None else 1]
    per_seed = []
    for s in seeds:
        t0 = time.perf_counter()
        i, t, n_exc, synapses, v_mean = run_cuba(args.n, s, args.duration, args.dt, args.target,
                                                  args.method, args.delay, overrides)
        wall = time.perf_counter() - t0
        st = statistics_of(i, t, args.n, n_exc, args.duration)
        st["v_mean_mv"] = v_mean
        st.update({"seed": s, "synapses": synapses, "wall_s": round(wall, 2)})
        per_seed.append(st)
        print(f"seed {s}: rate {st['rate_hz']:.3f} Hz, spikes {st['spikes']}, "
              f"CV mean {st['cv_isi_mean']:.3f} median {st['cv_isi_median']:.3f}, "
              f"Fano {st['fano_10ms']:.2f}, v mean {v_mean:.4f} mV, synapses {synapses}, {wall:.1f} s", file=sys.stderr)

    summary = {}
    for key in ("rate_hz", "rate_exc_hz", "rate_inh_hz", "spikes", "cv_isi_mean", "cv_isi_median",
                "fano_10ms", "rate_after_100ms_hz", "fano_10ms_after_100ms", "v_mean_mv", "synapses", "wall_s"):
        vals = [float(r[key]) for r in per_seed]
        summary[key] = {"mean": statistics.fmean(vals),
                        "sd": statistics.stdev(vals) if len(vals) > 1 else 0.0,
                        "min": min(vals), "max": max(vals)}

    result = {
        "reference": "Brian2 examples/CUBA.py (Vogels & Abbott 2005; Brette et al. 2007 benchmark 2)",
        "brian2_version": brian2.__version__,
        "numpy_version": np.__version__,
        "codegen_target": args.target,
        "method": args.method,
        "delay_ms": args.delay,
        "parameters": dict(CUBA, **overrides),
        "overrides": overrides,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]) if argv is None
                        else " ".join(argv),
        "n": args.n,
        "n_exc": int(round(0.8 * args.n)),
        "p": 80.0 / args.n,
        "dt_ms": args.dt,
        "duration_ms": args.duration,
        "seeds": seeds,
        "statistics": ("rate_hz = spikes/(N*T); cv_isi over neurons with >= 3 spikes; "
                       "fano_10ms = var/mean of population counts in 10 ms bins; whole run, all neurons; "
                       "*_after_100ms: the same over [100 ms, T) only; v_mean_mv = mean of v over neurons and "
                       "steps, read after each step; wall_s includes build and code "
                       "generation (the first cython run also compiles, ~50 s)"),
        "summary": summary,
        "per_seed": per_seed,
    }
    text = json.dumps(result, indent=2) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
