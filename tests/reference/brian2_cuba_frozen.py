#!/usr/bin/python3
"""Brian2 reference for CUBA's neurons under frozen input: the neuron and synapse model of Brian2's
examples/CUBA.py (the same equations, constants and 'exact' method as tests/reference/brian2_cuba.py,
whose CUBA table it imports), driven not by the random network but by fixed input spike trains written
into the output, so that BioSim can replay the same input and compare membrane potentials and spike times
neuron by neuron. Unlike the network statistics this is deterministic: it pins the weights and their
signs, both synaptic time constants, the membrane time constant, the threshold, the reset and the
refractory period.

Neurons (units ms, mV): 2 * K (default K = 8), the first K standing for CUBA's excitatory population and
the last K for its inhibitory one (CUBA.py gives both the same parameters; BioSim builds each from its own
population and projections in examples/cuba.json):
    dv/dt  = (ge + gi - (v - El)) / taum   (unless refractory)
    dge/dt = -ge / taue,  dgi/dt = -gi / taui
    threshold v > Vt, reset v = Vr, refractory 5 ms, method 'exact',
    v(0) of neuron j = Vr + (j + 0.5) / (2 K) * (Vt - Vr), ge = gi = 0.
Input: neuron j gets excitatory events (ge += we) and inhibitory events (gi += wi), each a Bernoulli
train on the 0.1 ms grid with probability rate * dt per step, drawn once from numpy's
RandomState([seed, neuron, 0 for excitatory or 1 for inhibitory]):
the rates are what a CUBA neuron receives in the network (64 excitatory and 16 inhibitory inputs at
nu Hz each), with nu spread evenly over [4, 8] Hz across the K neurons of each group (they fire 3-9
spikes in the second).

Time steps: the input lies on CUBA's 0.1 ms grid (dt_ms, BioSim's step), but Brian2 steps at
brian2_dt_ms = 0.01 ms. Brian2 tests the threshold at the end of each step and counts the refractory
period from the start of the crossing step; BioSim locates the crossing exactly and counts from it. At
0.01 ms the difference is below 0.02 mV in V and a few hundredths of a ms in spike time (see
tests/Validation/CubaChecks.cs), far below what a wrong parameter does; at 0.1 ms it would be ten times
larger and occasionally move a near-threshold spike by a whole step.

Timing convention, written into the JSON: an event listed at "arrival step" n changes ge or gi from
t = n * dt_ms on. Brian2 gets it as a SpikeGeneratorGroup spike at n * dt_ms - brian2_dt_ms, because its
synapses act after the state update of the step in which the spike is emitted; BioSim adds the weight to
the input ring of its step n (applied at the step's start). v is recorded at t = 0, 1, 2, ... ms (the
StateMonitor's 'start' slot, before that step); spike times are Brian2's, the start of the 0.01 ms step
at whose end v exceeded Vt.

Brian2 and numpy are installed for /usr/bin/python3 only:
    /usr/bin/python3 tests/reference/brian2_cuba_frozen.py -o tests/data/brian2_cuba_frozen_input.json
"""
import argparse
import datetime
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)  # pythran/numpy noise on Debian

import numpy as np
import brian2
from brian2 import (NeuronGroup, Synapses, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Network,
                    defaultclock, prefs, ms, mV)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brian2_cuba import CUBA  # noqa: E402  (the constants of examples/CUBA.py, one copy)


def frozen_inputs(k, seed, steps, dt_ms):
    """Arrival steps (1 .. steps - 1) of the excitatory and inhibitory events of each of the 2 k neurons. Each train
    has its own stream, RandomState([seed, neuron, 0 or 1]), so a shorter run gets a prefix of the same trains (the
    test suite reruns the first 250 ms)."""
    nus = np.linspace(4.0, 8.0, k)
    inputs = []
    for j in range(2 * k):
        nu = nus[j % k]
        trains = []
        for kind, count in ((0, 64), (1, 16)):
            rng = np.random.RandomState([seed, j, kind])
            trains.append((np.flatnonzero(rng.random_sample(steps - 1) < count * nu * dt_ms / 1000.0) + 1)
                          .astype(int).tolist())
        inputs.append((nu, trains[0], trains[1]))
    return inputs


def run(k=8, seed=1, duration_ms=1000.0, dt_ms=0.1, sample_every=10, target="numpy", overrides=None,
        brian2_dt_ms=0.01):
    c = dict(CUBA, **(overrides or {}))
    prefs.codegen.target = target
    brian2.start_scope()
    defaultclock.dt = brian2_dt_ms * ms
    steps = int(round(duration_ms / dt_ms))
    n = 2 * k
    inputs = frozen_inputs(k, seed, steps, dt_ms)
    namespace = {"taum": c["taum"] * ms, "taue": c["taue"] * ms, "taui": c["taui"] * ms,
                 "Vt": c["Vt"] * mV, "Vr": c["Vr"] * mV, "El": c["El"] * mV,
                 "we": c["we"] * mV, "wi": c["wi"] * mV}
    eqs = '''
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    '''
    P = NeuronGroup(n, eqs, threshold='v>Vt', reset='v = Vr', refractory=c["refractory"] * ms,
                    method='exact', namespace=namespace)
    v0 = [c["Vr"] + (j + 0.5) / n * (c["Vt"] - c["Vr"]) for j in range(n)]
    P.v = np.array(v0) * mV
    P.ge = 0 * mV
    P.gi = 0 * mV
    # Generator j of Ge (excitatory) and of Gi (inhibitory) drives neuron j.
    ei, et, ii, it = [], [], [], []
    for j, (_, exc, inh) in enumerate(inputs):
        ei += [j] * len(exc)
        et += [s * dt_ms - brian2_dt_ms for s in exc]
        ii += [j] * len(inh)
        it += [s * dt_ms - brian2_dt_ms for s in inh]
    Ge = SpikeGeneratorGroup(n, np.array(ei), np.array(et) * ms)
    Gi = SpikeGeneratorGroup(n, np.array(ii), np.array(it) * ms)
    Se = Synapses(Ge, P, on_pre='ge += we', namespace=namespace)
    Se.connect(j='i')
    Si = Synapses(Gi, P, on_pre='gi += wi', namespace=namespace)
    Si.connect(j='i')
    s_mon = SpikeMonitor(P)
    v_mon = StateMonitor(P, 'v', record=True, dt=sample_every * dt_ms * ms)
    net = Network(P, Ge, Gi, Se, Si, s_mon, v_mon)
    net.run(duration_ms * ms)

    spike_i = np.asarray(s_mon.i[:])
    spike_t = np.asarray(s_mon.t[:] / ms)
    v = np.asarray(v_mon.v[:] / mV)
    neurons = []
    for j, (nu, exc, inh) in enumerate(inputs):
        neurons.append({
            "population": "exc" if j < k else "inh",
            "index": j % k,
            "nu_hz": float(nu),
            "v0_mv": v0[j],
            "exc_arrival_steps": exc,
            "inh_arrival_steps": inh,
            "spike_times_ms": [round(float(t), 6) for t in np.sort(spike_t[spike_i == j])],
            "v_mv": [round(float(x), 6) for x in v[j]],
        })
    return c, neurons


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, default=8, help="neurons per population; default 8")
    ap.add_argument("--seed", type=int, default=1, help="numpy seed of the input trains; default 1")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms; default 1000")
    ap.add_argument("--target", choices=["cython", "numpy"], default="numpy",
                    help="Brian2 code-generation target; default numpy (no compiler needed, ~20 s)")
    ap.add_argument("--brian2-dt", type=float, default=0.01,
                    help="Brian2's time step, ms (a divisor of the 0.1 ms input grid); default 0.01")
    ap.add_argument("-o", "--output", default=None, help="JSON file (default: stdout)")
    args = ap.parse_args(argv)
    dt_ms, sample_every = 0.1, 10
    params, neurons = run(args.k, args.seed, args.duration, dt_ms, sample_every, args.target,
                          brian2_dt_ms=args.brian2_dt)
    print(f"{sum(len(x['spike_times_ms']) for x in neurons)} spikes in {len(neurons)} neurons: "
          + " ".join(str(len(x["spike_times_ms"])) for x in neurons), file=sys.stderr)
    result = {
        "reference": "neurons and synapses of Brian2 examples/CUBA.py under frozen input (see the script's docstring)",
        "brian2_version": brian2.__version__,
        "numpy_version": np.__version__,
        "codegen_target": args.target,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command_line": " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]) if argv is None else " ".join(argv),
        "parameters": params,
        "k": args.k,
        "seed": args.seed,
        "dt_ms": dt_ms,
        "brian2_dt_ms": args.brian2_dt,
        "duration_ms": args.duration,
        "sample_every": sample_every,
        "conventions": ("an event at arrival step n changes ge or gi from t = n * dt_ms on; v_mv[m] is v at "
                        "t = m * sample_every * dt_ms; spike_times_ms are Brian2's (start of the brian2_dt_ms step at "
                        "whose end v > Vt); rounded to 1e-6"),
        "neurons": neurons,
    }
    text = json.dumps(result, separators=(",", ":")) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
