#!/usr/bin/python3
"""Reference traces for BioSim's step-current device (step-current-generator) driving "lif", "adex" and "hh", with Brian2.

Run from the repository root with Debian's interpreter (the one that sees Brian2):

    /usr/bin/python3 tests/reference/brian2_step_current.py

It writes tests/data/brian2_step_current.json, read by tests/Circuits/Stimuli/StepCurrentBrian2Tests.cs (about a
minute, numpy target).

Each case injects a piecewise-constant current I(t) = amplitudes[k] from times[k] on (0 before the first time), the
schedule of NEST's step_current_generator, into one neuron. Brian2 holds I constant over each of its steps: a
run_regularly operation at the start of every step sets I_ext = stim(t) from a TimedArray on the 0.1 ms grid, so a
change at T (on that grid) is taken from the step that starts at T, as BioSim's grid timing takes it.

Cases
-----
lif_steps  : tau_m dV/dt = E_L - V + R_m I (tau_m 10 ms, E_L -70 mV, V_th -55 mV, V_reset -68 mV, t_ref 2 ms,
             R_m 100 MOhm); method 'exact' is not available with a time-varying input, so 'exponential_euler'
             (exact for constant I over the step) at dt = 0.001 ms; spikes at V > V_th, V held at V_reset while
             refractory.
adex_steps : AdEx with NEST aeif defaults (as tests/reference/brian2_adex_hh.py: exponent clamped at V_peak, w reads
             min(V, V_peak)); method 'rk4' at dt = 0.001 ms.
hh_steps   : single-compartment Hodgkin-Huxley with hh.mod kinetics (celsius 6.3, area pi*20*20 um2), current in pA;
             method 'exponential_euler' at dt = 0.01 ms, the scheme of BioSim's hh grid step.

Conventions that the C# test must know
-------------------------------------
* Brian2 records a spike at the start time t of the step in which v crossed threshold (the crossing lies in
  [t, t + dt]); BioSim reports the crossing time located inside the step.
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
from brian2 import ms, mV, pA, pF, nS, siemens, cm, um, uF, Mohm

b2.prefs.codegen.target = "numpy"
b2.prefs.core.default_float_dtype = np.float64

LIF = dict(tau_m=10.0, E_L=-70.0, V_th=-55.0, V_reset=-68.0, t_ref=2.0, R_m=100.0)
ADEX = dict(C_m=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0, b=80.5,
            V_reset=-70.6, V_peak=0.0, t_ref=0.0)
HH = dict(area_um2=math.pi * 20.0 * 20.0, cm=1.0, gnabar=0.12, gkbar=0.036, gl=0.0003, el=-54.3, ena=50.0,
          ek=-77.0, celsius=6.3, V_init=-65.0)

SCHEDULES = {
    "lif_steps": dict(times=[20.0, 70.0, 110.0, 150.0], amplitudes=[250.0, 170.0, 320.0, 0.0], duration=200.0),
    "adex_steps": dict(times=[20.0, 120.0, 220.0], amplitudes=[700.0, 1000.0, 0.0], duration=300.0),
    "hh_steps": dict(times=[5.0, 25.0, 45.0], amplitudes=[40.0, 130.0, 0.0], duration=60.0),
}


def stimulus(name, dt):
    """The schedule as a TimedArray on the 0.1 ms grid (every time lies on it) and the run_regularly that samples it."""
    s = SCHEDULES[name]
    grid = 0.1
    n = int(round(s["duration"] / grid)) + 1
    values = np.zeros(n)
    for t, a in zip(s["times"], s["amplitudes"]):
        values[int(round(t / grid)):] = a
    return b2.TimedArray(values * pA, dt=grid * ms)


def run(G, name, dt, sample_dt, duration, extra=None):
    stim = stimulus(name, dt)
    G.run_regularly("I_ext = stim(t)", when="start", dt=dt * ms)
    rec = ["v"] + ([extra] if extra else [])
    trace = b2.StateMonitor(G, rec, record=0)
    spikes = b2.SpikeMonitor(G)
    b2.run(duration * ms, namespace=dict(stim=stim, **G.namespace))
    step = int(round(sample_dt / dt))
    out = dict(spike_times_ms=[float(x) for x in spikes.t / ms], sample_dt_ms=sample_dt, dt_ms=dt, duration_ms=duration,
               V_mV=[float(x) for x in (trace.v[0] / mV)[::step]], times_ms=SCHEDULES[name]["times"],
               amplitudes_pA=SCHEDULES[name]["amplitudes"])
    if extra == "w":
        out["w_pA"] = [float(x) for x in (trace.w[0] / pA)[::step]]
    return out


def lif_steps(duration=None):
    d = min(SCHEDULES["lif_steps"]["duration"], duration or 1e9)
    b2.start_scope()
    dt = 0.001
    b2.defaultclock.dt = dt * ms
    p = LIF
    eqs = """
    dv/dt = (E_L - v + R_m*I_ext) / tau_m : volt (unless refractory)
    I_ext : amp
    """
    ns = dict(E_L=p["E_L"] * mV, R_m=p["R_m"] * Mohm, tau_m=p["tau_m"] * ms, V_th=p["V_th"] * mV, V_reset=p["V_reset"] * mV)
    G = b2.NeuronGroup(1, eqs, threshold="v > V_th", reset="v = V_reset", refractory=p["t_ref"] * ms,
                       method="exponential_euler", namespace=ns)
    G.v = p["E_L"] * mV
    c = run(G, "lif_steps", dt, 0.1, d)
    c.update(model="lif", method="exponential_euler", params=p)
    return c


def adex_steps(duration=None):
    d = min(SCHEDULES["adex_steps"]["duration"], duration or 1e9)
    b2.start_scope()
    dt = 0.001
    b2.defaultclock.dt = dt * ms
    p = ADEX
    arg_max = (p["V_peak"] - p["V_T"]) / p["Delta_T"]
    eqs = """
    dv/dt = (-g_L*(v - E_L) + g_L*Delta_T*exp(clip((v - V_T)/Delta_T, -1000, arg_max)) - w + I_ext) / C_m : volt
    dw/dt = (a*(clip(v, -1000*mV, V_peak) - E_L) - w) / tau_w : amp
    I_ext : amp
    """
    ns = dict(g_L=p["g_L"] * nS, E_L=p["E_L"] * mV, Delta_T=p["Delta_T"] * mV, V_T=p["V_T"] * mV, arg_max=arg_max,
              C_m=p["C_m"] * pF, a=p["a"] * nS, tau_w=p["tau_w"] * ms, b=p["b"] * pA, V_peak=p["V_peak"] * mV,
              V_reset=p["V_reset"] * mV)
    G = b2.NeuronGroup(1, eqs, threshold="v > V_peak", reset="v = V_reset; w += b", method="rk4", namespace=ns)
    G.v = p["E_L"] * mV
    G.w = 0 * pA
    c = run(G, "adex_steps", dt, 0.1, d, extra="w")
    c.update(model="adex", method="rk4", params=p)
    return c


def hh_steps(duration=None):
    d = min(SCHEDULES["hh_steps"]["duration"], duration or 1e9)
    b2.start_scope()
    dt = 0.01
    b2.defaultclock.dt = dt * ms
    p = HH
    area = p["area_um2"] * um**2
    eqs = """
    dv/dt = (I_ext - gna*m**3*h*(v - ENa) - gk*n**4*(v - EK) - gl*(v - El)) / C : volt
    dm/dt = q10*(alpham*(1 - m) - betam*m) : 1
    dh/dt = q10*(alphah*(1 - h) - betah*h) : 1
    dn/dt = q10*(alphan*(1 - n) - betan*n) : 1
    alpham = 1.0 / exprel(-(v/mV + 40) / 10) / ms : Hz
    betam = 4 * exp(-(v/mV + 65) / 18) / ms : Hz
    alphah = 0.07 * exp(-(v/mV + 65) / 20) / ms : Hz
    betah = 1 / (exp(-(v/mV + 35) / 10) + 1) / ms : Hz
    alphan = 0.1 / exprel(-(v/mV + 55) / 10) / ms : Hz
    betan = 0.125 * exp(-(v/mV + 65) / 80) / ms : Hz
    I_ext : amp
    """
    ns = dict(gna=p["gnabar"] * siemens / cm**2 * area, gk=p["gkbar"] * siemens / cm**2 * area,
              gl=p["gl"] * siemens / cm**2 * area, ENa=p["ena"] * mV, EK=p["ek"] * mV, El=p["el"] * mV,
              C=p["cm"] * uF / cm**2 * area, q10=3.0 ** ((p["celsius"] - 6.3) / 10))
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
    c = run(G, "hh_steps", dt, 0.1, d)
    c.update(model="hh", method="exponential_euler", params=p)
    return c


CASE_RUNNERS = {"lif_steps": lif_steps, "adex_steps": adex_steps, "hh_steps": hh_steps}
CASES = list(CASE_RUNNERS)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "brian2_step_current.json"),
                        help="where to write the JSON (default: tests/data/brian2_step_current.json)")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=CASES, help="run only these cases")
    parser.add_argument("--duration", type=float, default=None, help="stop every case after this many ms")
    args = parser.parse_args()
    cases = {name: CASE_RUNNERS[name](args.duration) for name in args.cases}
    doc = dict(command="/usr/bin/python3 tests/reference/brian2_step_current.py" + "".join(" " + a for a in sys.argv[1:]),
               brian2_version=b2.__version__, numpy_version=np.__version__, python=sys.version.split()[0],
               date=datetime.date.today().isoformat(), units=dict(V="mV", t="ms", w="pA", I="pA"),
               notes=__doc__.split("Conventions that the C# test must know")[1].strip().lstrip("-").strip(), cases=cases)
    with open(args.output, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for name, c in cases.items():
        print(name, len(c["spike_times_ms"]), "spikes:", [round(x, 3) for x in c["spike_times_ms"][:12]])


if __name__ == "__main__":
    main()
