#!/usr/bin/python3
"""Reference traces for BioSim's "adex" and "hh" neuron models, computed with Brian2.

Run from the repository root with Debian's interpreter (the one that sees Brian2):

    /usr/bin/python3 tests/reference/brian2_adex_hh.py

It writes tests/data/brian2_adex_hh.json, read by tests/Circuits/Brian2ReferenceTests.cs (a few minutes: rk4 at
1 us for 350 ms of AdEx in the numpy target). Brian2ReferenceTests.ReferenceIsWhatBrian2Writes reruns a slice,

    /usr/bin/python3 tests/reference/brian2_adex_hh.py --cases adex_step hh_step hh_cond --duration 25 -o slice.json

whose traces and spikes are the leading part of the committed ones (-o: where to write; --cases: which cases;
--duration: stop every case after this many ms).

Cases
-----
adex_step : AdEx (Brette & Gerstner 2005) with NEST aeif defaults, I_e = 800 pA from t = 0 for 200 ms (500 pA is below
            rheobase with these parameters),
            method 'rk4' at dt = 0.001 ms (a hundred times finer than the C# runs, so that the
            reference's own error is far below the tolerance tested).
adex_cond : the same neuron, I_e = 400 pA, with an exp-conductance receptor (E = 0 mV, tau = 5 ms) that
            receives a few input spikes of fixed weight (nS); rk4, dt = 0.001 ms.
hh_step   : a single-compartment Hodgkin-Huxley neuron with the kinetics of NEURON's built-in hh.mod
            (celsius 6.3), area pi * 20 um * 20 um, cm = 1 uF/cm2, a current of 10 uA/cm2 from t = 0
            for 50 ms; method 'exponential_euler', dt = 0.01 ms.
hh_cond   : the same neuron with no current and an exp-conductance receptor (E = 0 mV, tau = 2 ms)
            receiving input spikes; exponential_euler, dt = 0.01 ms.

Conventions that the C# test must know
-------------------------------------
* The exponential term of AdEx uses exp(min((v - V_T)/Delta_T, (V_peak - V_T)/Delta_T)), exactly as
  BioSim clamps it, and the w equation reads min(v, V_peak): the dynamics below V_peak are unchanged,
  while RK4 stages that overshoot V_peak in the crossing step stay finite and do not kick w by
  a * (overshoot) * dt / tau_w (without this, one step at dt = 0.01 ms added ~9 nA to w).
* Brian2 records a spike at the start time t of the step in which v crossed threshold (the crossing
  lies in [t, t + dt]); BioSim reports the crossing time located inside the step.
* Input arrival: a spike emitted at t_s with delay 0 increments g after the state update of that
  step, so g jumps at t_s + dt. The spike times below are chosen so that the jump ("arrival") falls
  on the listed arrival times, which lie on the 0.1 ms grid; the script checks this on the g trace.
* Traces are sampled every sample_dt_ms, value at time k * sample_dt_ms (before that step's update).
"""
import argparse
import datetime
import json
import math
import os
import sys

import numpy as np
import brian2 as b2
from brian2 import ms, mV, pA, pF, nS, siemens, cm, um, uF, uA, amp, farad

b2.prefs.codegen.target = "numpy"
b2.prefs.core.default_float_dtype = np.float64

ADEX = dict(C_m=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0, b=80.5,
            V_reset=-70.6, V_peak=0.0, t_ref=0.0)
HH_AREA_UM2 = math.pi * 20.0 * 20.0
HH = dict(area_um2=HH_AREA_UM2, cm=1.0, gnabar=0.12, gkbar=0.036, gl=0.0003, el=-54.3, ena=50.0,
          ek=-77.0, celsius=6.3, V_init=-65.0)


def adex(I_e_pA, inputs, weight_nS, E_syn, tau_syn, duration, dt, sample_dt):
    b2.start_scope()
    b2.defaultclock.dt = dt * ms
    p = ADEX
    arg_max = (p["V_peak"] - p["V_T"]) / p["Delta_T"]
    eqs = """
    dv/dt = (-g_L*(v - E_L) + g_L*Delta_T*exp(clip((v - V_T)/Delta_T, -1000, arg_max)) - w + I_e
             + g*(E_syn - v)) / C_m : volt
    dw/dt = (a*(clip(v, -1000*mV, V_peak) - E_L) - w) / tau_w : amp
    dg/dt = -g / tau_syn : siemens
    """
    ns = dict(g_L=p["g_L"] * nS, E_L=p["E_L"] * mV, Delta_T=p["Delta_T"] * mV, V_T=p["V_T"] * mV,
              arg_max=arg_max, I_e=I_e_pA * pA, E_syn=E_syn * mV, C_m=p["C_m"] * pF, a=p["a"] * nS,
              tau_w=p["tau_w"] * ms, tau_syn=tau_syn * ms, b=p["b"] * pA, V_peak=p["V_peak"] * mV,
              V_reset=p["V_reset"] * mV)
    G = b2.NeuronGroup(1, eqs, threshold="v > V_peak", reset="v = V_reset; w += b", method="rk4", namespace=ns)
    G.v = p["E_L"] * mV
    G.w = 0 * pA
    return run(G, inputs, weight_nS, duration, dt, sample_dt, extra="w")


def hh(I_uA_per_cm2, inputs, weight_nS, E_syn, tau_syn, duration, dt, sample_dt):
    b2.start_scope()
    b2.defaultclock.dt = dt * ms
    p = HH
    area = p["area_um2"] * um**2
    # NEURON hh.mod, with vtrap(x, y) = x / (exp(x/y) - 1) = y / exprel(x/y).
    eqs = """
    dv/dt = (I_e - gna*m**3*h*(v - ENa) - gk*n**4*(v - EK) - gl*(v - El) + g*(E_syn - v)) / C : volt
    dm/dt = q10*(alpham*(1 - m) - betam*m) : 1
    dh/dt = q10*(alphah*(1 - h) - betah*h) : 1
    dn/dt = q10*(alphan*(1 - n) - betan*n) : 1
    dg/dt = -g / tau_syn : siemens
    alpham = 1.0 / exprel(-(v/mV + 40) / 10) / ms : Hz
    betam = 4 * exp(-(v/mV + 65) / 18) / ms : Hz
    alphah = 0.07 * exp(-(v/mV + 65) / 20) / ms : Hz
    betah = 1 / (exp(-(v/mV + 35) / 10) + 1) / ms : Hz
    alphan = 0.1 / exprel(-(v/mV + 55) / 10) / ms : Hz
    betan = 0.125 * exp(-(v/mV + 65) / 80) / ms : Hz
    """
    ns = dict(I_e=I_uA_per_cm2 * uA / cm**2 * area, gna=p["gnabar"] * siemens / cm**2 * area,
              gk=p["gkbar"] * siemens / cm**2 * area, gl=p["gl"] * siemens / cm**2 * area,
              ENa=p["ena"] * mV, EK=p["ek"] * mV, El=p["el"] * mV, C=p["cm"] * uF / cm**2 * area,
              q10=3.0 ** ((p["celsius"] - 6.3) / 10), E_syn=E_syn * mV, tau_syn=tau_syn * ms)
    G = b2.NeuronGroup(1, eqs, threshold="v > 0*mV", refractory="v > 0*mV", method="exponential_euler", namespace=ns)
    v0 = p["V_init"]
    am = 1.0 / np.expm1(-(v0 + 40) / 10) * (-(v0 + 40) / 10)
    bm = 4 * math.exp(-(v0 + 65) / 18)
    ah = 0.07 * math.exp(-(v0 + 65) / 20)
    bh = 1 / (math.exp(-(v0 + 35) / 10) + 1)
    an = 0.1 / np.expm1(-(v0 + 55) / 10) * (-(v0 + 55) / 10)
    bn = 0.125 * math.exp(-(v0 + 65) / 80)
    G.v = v0 * mV
    G.m = am / (am + bm)
    G.h = ah / (ah + bh)
    G.n = an / (an + bn)
    out = run(G, inputs, weight_nS, duration, dt, sample_dt, extra=None)
    out["I_e_pA"] = float(I_uA_per_cm2 * uA / cm**2 * area / pA)
    return out


def run(G, inputs, weight_nS, duration, dt, sample_dt, extra):
    objs = [G]
    if inputs:
        # g jumps at t_s + dt (see the module doc), so emit one step before the wanted arrival.
        times = [round(t / dt - 1) * dt for t in inputs]
        src = b2.SpikeGeneratorGroup(1, [0] * len(times), np.array(times) * ms)
        syn = b2.Synapses(src, G, on_pre="g += %r*nS" % weight_nS)
        syn.connect()
        objs += [src, syn]
    rec = ["v", "g"] + ([extra] if extra else [])
    trace = b2.StateMonitor(G, rec, record=0)
    spikes = b2.SpikeMonitor(G)
    b2.run(duration * ms)
    t = trace.t / ms
    g = trace.g[0] / nS
    arrivals = [float(t[k]) for k in range(1, len(t)) if g[k] > g[k - 1] * (1 + 1e-9) + 1e-15]
    for want, got in zip(inputs, arrivals):
        assert abs(want - got) < 1e-6, f"arrival at {got} ms, wanted {want} ms"
    assert len(arrivals) == len(inputs), (arrivals, inputs)
    step = int(round(sample_dt / dt))
    out = dict(spike_times_ms=[float(x) for x in spikes.t / ms], sample_dt_ms=sample_dt,
               V_mV=[float(x) for x in (trace.v[0] / mV)[::step]], arrivals_ms=list(map(float, inputs)),
               weight_nS=weight_nS)
    if extra == "w":
        out["w_pA"] = [float(x) for x in (trace.w[0] / pA)[::step]]
    return out


def adex_step(duration=None):
    d = min(200.0, duration or 200.0)
    c = adex(800.0, [], 0.0, 0.0, 5.0, d, 0.001, 0.1)
    c.update(model="adex", method="rk4", dt_ms=0.001, duration_ms=d, I_e_pA=800.0, receptor=None, params=ADEX)
    return c


ADEX_COND_INPUTS = [20.0, 50.0, 52.0, 54.0, 56.0, 58.0, 60.0, 100.0, 100.5, 101.0, 101.5, 102.0, 102.5, 103.0]
HH_COND_INPUTS = [5.0, 20.0, 20.5, 21.0, 21.5]


def adex_cond(duration=None):
    d = min(150.0, duration or 150.0)
    inputs = [t for t in ADEX_COND_INPUTS if t < d]
    c = adex(400.0, inputs, 6.0, 0.0, 5.0, d, 0.001, 0.1)
    c.update(model="adex", method="rk4", dt_ms=0.001, duration_ms=d, I_e_pA=400.0,
             receptor=dict(model="exp-conductance", tau_ms=5.0, E_mV=0.0), params=ADEX)
    return c


def hh_step(duration=None):
    d = min(50.0, duration or 50.0)
    c = hh(10.0, [], 0.0, 0.0, 2.0, d, 0.01, 0.1)
    c.update(model="hh", method="exponential_euler", dt_ms=0.01, duration_ms=d, I_uA_per_cm2=10.0, receptor=None, params=HH)
    return c


def hh_cond(duration=None):
    d = min(40.0, duration or 40.0)
    inputs = [t for t in HH_COND_INPUTS if t < d]
    c = hh(0.0, inputs, 0.6, 0.0, 2.0, d, 0.01, 0.1)
    c.update(model="hh", method="exponential_euler", dt_ms=0.01, duration_ms=d, I_uA_per_cm2=0.0,
             receptor=dict(model="exp-conductance", tau_ms=2.0, E_mV=0.0), params=HH)
    return c


CASE_RUNNERS = {"adex_step": adex_step, "adex_cond": adex_cond, "hh_step": hh_step, "hh_cond": hh_cond}
CASES = list(CASE_RUNNERS)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "brian2_adex_hh.json"),
                        help="where to write the JSON (default: tests/data/brian2_adex_hh.json)")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=CASES,
                        help="run only these cases (a slice for the regeneration test; the committed file has all four)")
    parser.add_argument("--duration", type=float, default=None,
                        help="stop every case after this many ms (default: each case's full duration); the traces and "
                             "spikes of a shortened run are the leading part of the full run's")
    args = parser.parse_args()
    cases = {}
    for name in args.cases:
        cases[name] = CASE_RUNNERS[name](args.duration)
    doc = dict(command="/usr/bin/python3 tests/reference/brian2_adex_hh.py" + "".join(" " + a for a in sys.argv[1:]),
               brian2_version=b2.__version__, numpy_version=np.__version__, python=sys.version.split()[0],
               date=datetime.date.today().isoformat(),
               units=dict(V="mV", t="ms", w="pA", weight="nS", I="pA"),
               notes=__doc__.split("Conventions that the C# test must know")[1].strip().lstrip("-").strip(),
               cases=cases)
    with open(args.output, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for name, c in cases.items():
        print(name, len(c["spike_times_ms"]), "spikes:", [round(x, 3) for x in c["spike_times_ms"][:12]])


if __name__ == "__main__":
    main()
