#!/bin/sh
# Shared-feature visualisation by parallel backpropagation (Lappe et al., NeurIPS 2024) of the networks that
# examples/compare-fashion.json trains (Fashion-MNIST, 784-256-256-10 tanh; backprop, feedback alignment, direct
# feedback alignment; seeds 1-3). Run from the repository root; needs the Debian package dataset-fashion-mnist.
set -e

# 1. Train (one epoch is enough for a look; drop --epochs for the file's 5). The checkpoints of every rule and seed
#    land in fashion-rules/checkpoints/<rule>-seed<s>.h5, which is what visualize reads.
biosim compare examples/compare-fashion.json -o fashion-rules --epochs 1 -q

# 2. A model neuron: a ridge readout of hidden layer 1 of feedback alignment's network (seed 1), fitted on 2000
#    training bags (category 8) to the network's own bag output z_3[8]. (Layer 2, the last hidden layer, would make the
#    readout exact: z_3[8] is a linear readout of it.) Its four strongest drivers among the test images of the other
#    categories, each with the most similar of the 100 strongest test bags, are backpropagated to the pixels in parallel.
#    Writes fashion-vis/visualization.h5 (every array; h5py reads it) and fashion-vis/pair-1.png ... pair-4.png.
biosim visualize fashion-rules --rule feedback-alignment --seed 1 --layer 1 --category 8 --pairs 4 -o fashion-vis

# 3. The same neuron for backprop's network, from a checkpoint file directly (the checkpoint names rule and seed).
biosim visualize fashion-rules/checkpoints/backprop-seed1.h5 --layer 1 --category 8 -o fashion-vis-backprop
