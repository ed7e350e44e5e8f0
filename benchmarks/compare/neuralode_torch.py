#!/usr/bin/python3
"""PyTorch autograd on the work of benchmarks/NeuralOde/GradientSweep.cs: MLP 2 + t -> 64 -> 64 -> 2 (tanh,
float64), RK4 with N fixed steps on [0, 2], MSE at 5 observation times; loss.backward() through the solver.
Prints method,N,ms_per_gradient (fastest of 3 after a warm-up) and the growth of the process's peak RSS (MB)
during the first gradient at that N (sizes run in increasing order, so the growth is the new peak the
autograd graph needed). One thread (torch.set_num_threads(1)).
    /usr/bin/python3 benchmarks/compare/neuralode_torch.py [N ...]   (default 10 100 1000 10000)
benchmarks/NeuralOde/GradientSweep.cs (dotnet run -c Release --project benchmarks -- neuralode-sweep) runs this script
itself, one N at a time right after the BioSim methods at that N, and prints the ratios.
"""
import math
import resource
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(1)
net = torch.nn.Sequential(torch.nn.Linear(3, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 2))
times = [0.4, 0.8, 1.2, 1.6, 2.0]
targets = torch.tensor([[math.sin(2 * k + i) for i in range(2)] for k in range(5)])


def f(t, y):
    return net(torch.cat([y, torch.tensor([t])]))


def gradient(n):
    net.zero_grad()
    h = 2.0 / n
    y = torch.tensor([0.5, -0.3])
    loss = torch.zeros(())
    t = 0.0
    step = 0
    k = 0
    for i in range(n):
        t = i * h
        k1 = f(t, y)
        k2 = f(t + 0.5 * h, y + 0.5 * h * k1)
        k3 = f(t + 0.5 * h, y + 0.5 * h * k2)
        k4 = f(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        step += 1
        if k < 5 and abs((step * h) - times[k]) < 1e-9:
            loss = loss + ((y - targets[k]) ** 2).sum()
            k += 1
    (loss / 10).backward()


print("machine: torch", torch.__version__, "threads", torch.get_num_threads())
print("method,N,ms_per_gradient,peak_rss_growth_MB")
sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000, 10000]
for n in sizes:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gradient(n)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        gradient(n)
        best = min(best, time.perf_counter() - start)
    print(f"torch-autograd,{n},{best * 1000:.3f},{growth:.1f}")
