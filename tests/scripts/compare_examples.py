#!/usr/bin/python3
"""Run every example in examples/ with two builds of BioSim and check that they behave the same.

Written for the re-cut of the upper layers, which must not change behaviour: run it with the build before
the change (--old) and the build after it (--new). Two builds of the same commit must report `same`/`ok`
for every example; that is the first check that this script works.

Usage (from anywhere; the commands run from the repository root that holds this script):

    /usr/bin/python3 tests/scripts/compare_examples.py --old OLD/biosim.dll --new NEW/biosim.dll \
        [--work DIR] [--only NAME ...] [--quick] [--old-examples DIR] [--new-examples DIR] [--threads N] [--sequential]

/usr/bin/python3 because it is the interpreter that sees Debian's python3-h5py and python3-numpy. Each dll runs
as `dotnet <dll> ...`, and each reads its own copy of the examples (--old-examples, default
/work/baseline/examples; --new-examples, default examples/ of this repository), because the re-cut may rename
keys in the example files (fit files: camelCase -> snake_case). The two sides of an example run at the same time
(one process each; --sequential runs them one after the other), with the same options, in separate folders under
--work (default: a new folder in /tmp, kept for inspection).

What is checked, per kind of example:

- `biosim run` (every file that is not fit-*/compare-*): `run FILE -o OUT.h5 -q -t N --checkpoint-every 1e6`.
  The two HDF5 files must hold the same groups, datasets and attributes (names, link kinds, HDF5 types, shapes,
  chunking, filters, maximum shapes), and every value must be the same: floats bit for bit (0.0 and -0.0 differ),
  except that NaN equals NaN. The exit code, stdout (the summary lines) and stderr must be the same once the
  timing figures and the output/example paths are masked. --checkpoint-every is set so large that only the
  checkpoint before the first step is written: further ones are taken after a wall-clock interval and would make
  the file's /checkpoint slots depend on the machine's speed.
- `biosim compare` (compare-*): `compare FILE -o OUT/ -q -t N [--epochs E]`. Everything the command writes is
  compared: curves.h5 and every checkpoints/*.h5 as above (the checkpoints hold the final weights, rule and
  optimiser state), summary.md and stdout with the "s / epoch" column masked, stderr and the list of files
  written. The PNG plots are only checked to exist on both sides (they are drawn from the curves compared here).
  With --quick the training budget is cut with --epochs (QUICK_EPOCHS below); without it the files' own
  budgets are run (compare-infomax alone then takes about an hour per side).
- `biosim fit` (fit-*): the re-cut moves the neural-ODE initial weights to another random stream, so the fitted
  values may change. Each side must instead exit 0 and meet the bar that the example states (FIT_CRITERIA below,
  with the source of each number); both sides' numbers are printed. A fit file that reads the output of a run
  example (fit-rate-circuit.json reads "../rate-circuit.h5", relative to its folder) is copied into a folder laid
  out like the repository, next to that side's own output of the run example (run first if it was not run already).

Not compared (legitimately different between two runs or two builds):

- EXCLUDED_ATTRIBUTES / EXCLUDED_DATASETS below: the software version string, wall-clock durations and the
  absolute path of the experiment file. Excluded datasets still have their type and shape compared, excluded
  attributes their presence and type.
- PATH_ATTRIBUTES: attributes holding an absolute path; only the file name is compared.
- In stdout/stderr: run's "Build X s, simulation Y s", the "s / epoch" column of compare's table, and the
  output folder and examples folder paths (each side writes and reads its own).

Prints one line per example: `same`, `DIFFERENT: <first difference>` (file, object path, index, old value, new
value, and how many other differences there are), `ok (...)` for fits, or `FAILED: ...` (a command exited
non-zero, or a fit missed its bar), with its wall time and the CPU time of its biosim processes (both sides);
then a summary line. Exit code 0 when every example is
`same` or `ok`, 1 otherwise, 2 on bad arguments.
"""

import argparse
import concurrent.futures
import fnmatch
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_OLD_EXAMPLES = Path("/work/baseline/examples")
DEFAULT_NEW_EXAMPLES = REPOSITORY / "examples"

# Attributes whose values are not compared: (object path pattern, attribute name) -> reason.
EXCLUDED_ATTRIBUTES = {
    ("/", "biosim_version"):
        "software version: biosim run writes the assembly's informational version, which embeds the git commit "
        "(0.1.0+<sha>), and curves.h5 the assembly version; two builds of different commits differ by construction",
}

# Attributes holding an absolute path: only the file name (the last path component) is compared.
PATH_ATTRIBUTES = {
    ("/", "experiment_file"):
        "absolute path of the experiment file (biosim run, Path.GetFullPath): each side reads the example from its "
        "own examples folder",
}

# Datasets whose values are not compared (their type and shape are): object path pattern -> reason.
EXCLUDED_DATASETS = {
    "/runs/*/seed_*/epoch_seconds": "wall-clock seconds per epoch (biosim compare, curves.h5)",
    "/reals/history/epoch_seconds": "wall-clock seconds per epoch (biosim compare, checkpoints/*.h5)",
}

# Training budget of compare examples with --quick (--epochs E); None: the file's own budget, already short.
# Any compare example not listed runs 1 epoch. The comments give the CPU time per side measured with -t 1; the whole
# --quick run took 844 s of CPU for both sides, i.e. about 7 minutes on 2 otherwise idle cores.
QUICK_EPOCHS = {
    "compare-teacher": None,           # 5 epochs, 1 s
    "compare-gait-equivalence": None,  # 2 epochs, 2 s
    "compare-song": 200,               # one epoch is one full-batch step; 200 steps, 3 s
    "compare-fashion": 1,              # 3 rules x 3 seeds on all of Fashion-MNIST, 90 s
    "compare-gait": 1,                 # 3 rules x 2 seeds, 784-wide layers on 6000 images, 150 s
    "compare-infomax": 1,              # 60 000 images, 40 settling iterations each, 170 s
}
QUICK_EPOCHS_DEFAULT = 1

# Relative weight error as tests/Cli/FitExamplesTests.cs measures it: |W - W_true| / max|W_true|, and |tau - tau_true| / tau_true.
RATE_CIRCUIT_TRUE_W = [0.5, -2.0, 1.0, 1.5, 0.2, -1.2, -1.0, 2.0, 0.3]  # examples/rate-circuit.json, "W" (rows)
RATE_CIRCUIT_TRUE_TAU = [1.0, 2.0, 0.5]                                # examples/rate-circuit.json, "tau"


@dataclass
class Criterion:
    """What a fit example must reach, and where that bar is stated."""
    metric: str       # "heldout_mse" or "rate_circuit_recovery"
    threshold: float
    source: str


FIT_CRITERIA = {
    "fit-spiral": Criterion(
        "heldout_mse", 1e-3,
        "tests/Cli/FitExamplesTests.cs SpiralExampleLearnsTheHeldOutTrajectories: held-out MSE < 1e-3 (measured 2.1e-4; "
        "README 'Fitting ODE models': 0.0002105; untrained 0.64)"),
    "fit-lotka-volterra": Criterion(
        "heldout_mse", 3e-3,
        "tests/Cli/FitExamplesTests.cs LotkaVolterraExampleLearnsTheHeldOutTrajectories: held-out MSE < 3e-3 (measured "
        "1.2e-3; README: 0.0012, untrained 8.6)"),
    "fit-rate-circuit": Criterion(
        "rate_circuit_recovery", 0.05,
        "tests/Cli/FitExamplesTests.cs RateCircuitSimulatedByBioSimIsRecoveredWithinFivePercent: W (relative to max|W|) "
        "and tau within 5 % of examples/rate-circuit.json (measured 0.9 % and 1.1 %, as in the README). The data are "
        "recorded trajectories, so there is no held-out MSE; the whole-trajectory MSE is printed as well"),
}

# Names parameters.json may give the held-out MSE (the re-cut may rename it).
HELD_OUT_KEYS = ("heldout_mse", "held_out_mse", "heldOutMse")


# ---------------------------------------------------------------------------------------------------- running


@dataclass
class Side:
    """One build: its dll, its examples folder, and where its outputs go."""
    name: str          # "old" or "new"
    dll: Path
    examples: Path
    work: Path


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def invoke(side, arguments, log_stem):
    """Runs `dotnet <dll> arguments...` from the repository root; keeps stdout and stderr next to the outputs."""
    process = subprocess.run(["dotnet", str(side.dll), *arguments], cwd=REPOSITORY, capture_output=True,
                             text=True, encoding="utf-8", errors="replace")
    result = Result(process.returncode, process.stdout, process.stderr)
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{log_stem}.stdout").write_text(result.stdout, encoding="utf-8")
    Path(f"{log_stem}.stderr").write_text(result.stderr, encoding="utf-8")
    return result


def both(sides, task, parallel):
    """Runs task(side) for the old and the new side, at the same time when parallel; returns (old, new)."""
    if not parallel:
        return tuple(task(side) for side in sides)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(task, side) for side in sides]
        return tuple(f.result() for f in futures)


def fresh(directory):
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


def failure(side, result, what):
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return f"{side.name} {what} exited {result.code}: {lines[-1] if lines else '(no stderr)'}"


# ---------------------------------------------------------------------------------------------------- HDF5 comparison


def excluded(rules, path, name=None):
    for key, reason in rules.items():
        pattern, attribute = key if isinstance(key, tuple) else (key, None)
        if attribute == name and fnmatch.fnmatchcase(path, pattern):
            return reason
    return None


def show(value):
    """A value as text that tells two different values apart (floats: shortest round-trip repr)."""
    if isinstance(value, (bytes, np.bytes_)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def text_difference(old, new):
    """Where two long strings first differ, with a little context."""
    i = next((k for k, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    cut = max(0, i - 20)
    return f"character {i}: old {old[cut:i + 40]!r}, new {new[cut:i + 40]!r}"


def mismatches(old, new):
    """Boolean array: where two arrays of the same shape and dtype kind differ (floats bit for bit, NaN == NaN)."""
    if old.dtype.names:
        masks = [mismatches(old[f], new[f]) for f in old.dtype.names]
        return np.logical_or.reduce(masks) if masks else np.zeros(old.shape, bool)
    if old.dtype.kind == "c":
        return mismatches(old.real, new.real) | mismatches(old.imag, new.imag)
    if old.dtype.kind == "f":
        a, b = old.copy(order="C"), new.copy(order="C")
        if a.dtype.itemsize != b.dtype.itemsize:
            return np.ones(a.shape, bool)
        bits = np.dtype(f"u{a.dtype.itemsize}")
        return (a.view(bits) != b.view(bits)) & ~(np.isnan(a) & np.isnan(b))
    if old.dtype.kind == "O":
        flat = [not same_object(a, b) for a, b in zip(old.flat, new.flat)]
        return np.array(flat, bool).reshape(old.shape)
    return np.asarray(old != new).reshape(old.shape)


def same_object(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and not mismatches(a, b).any()
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def value_difference(old, new):
    """None when equal, else 'index i: old x, new y (n of N values differ)'."""
    if isinstance(old, h5py.Empty) or isinstance(new, h5py.Empty):
        return None if isinstance(old, h5py.Empty) and isinstance(new, h5py.Empty) else f"old {old!r}, new {new!r}"
    if isinstance(old, (str, bytes)) or isinstance(new, (str, bytes)):
        if type(old) is not type(new):
            return f"old {show(old)}, new {show(new)}"
        return None if old == new else text_difference(old, new)
    a, b = np.asarray(old), np.asarray(new)
    if a.shape != b.shape:
        return f"shape old {a.shape}, new {b.shape}"
    if a.dtype.kind != b.dtype.kind and not (a.dtype.kind in "SUO" and b.dtype.kind in "SUO"):
        return f"dtype old {a.dtype}, new {b.dtype}"
    if a.dtype.kind in "SUO" and b.dtype.kind in "SUO" and a.dtype.kind != b.dtype.kind:
        a, b = a.astype(object), b.astype(object)
    diff = mismatches(a, b)
    count = int(np.count_nonzero(diff))
    if count == 0:
        return None
    first = int(np.flatnonzero(diff)[0])
    index = np.unravel_index(first, a.shape) if a.shape else ()
    x, y = a[index] if a.shape else a[()], b[index] if b.shape else b[()]
    if a.dtype.kind == "O" and isinstance(x, (str, bytes)) and isinstance(y, type(x)) and len(x) > 60:
        detail = text_difference(x, y)
    else:
        detail = f"old {show(x)}, new {show(y)}"
    where = f"index {tuple(int(i) for i in index)}: " if a.shape else ""
    return f"{where}{detail} ({count} of {a.size} values differ)"


def type_text(type_id):
    try:
        return str(type_id.dtype)
    except (TypeError, ValueError):
        return type(type_id).__name__


def compare_attributes(old, new, path, report):
    names_old, names_new = set(old.attrs.keys()), set(new.attrs.keys())
    for name in sorted(names_old ^ names_new):
        report(f"{path}@{name}: only in {'old' if name in names_old else 'new'}")
    for name in sorted(names_old & names_new):
        id_old, id_new = old.attrs.get_id(name), new.attrs.get_id(name)
        if id_old.get_type() != id_new.get_type():
            report(f"{path}@{name}: type old {type_text(id_old.get_type())}, new {type_text(id_new.get_type())}")
            continue
        if id_old.shape != id_new.shape:
            report(f"{path}@{name}: shape old {id_old.shape}, new {id_new.shape}")
            continue
        if excluded(EXCLUDED_ATTRIBUTES, path, name):
            continue
        a, b = old.attrs[name], new.attrs[name]
        if excluded(PATH_ATTRIBUTES, path, name):
            a, b = (os.path.basename(v.decode() if isinstance(v, bytes) else str(v)) for v in (a, b))
        difference = value_difference(a, b)
        if difference:
            report(f"{path}@{name}: {difference}")


def compare_datasets(old, new, path, report):
    checks = [("type", lambda d: d.id.get_type(), lambda d: type_text(d.id.get_type())),
              ("shape", lambda d: d.shape, None), ("maximum shape", lambda d: d.maxshape, None),
              ("chunks", lambda d: d.chunks, None), ("compression", lambda d: (d.compression, d.compression_opts), None),
              ("shuffle/fletcher32/scale-offset", lambda d: (d.shuffle, d.fletcher32, d.scaleoffset), None)]
    for what, get, text in checks:
        if get(old) != get(new):
            text = text or get
            report(f"{path}: {what} old {text(old)}, new {text(new)}")
            return
    if excluded(EXCLUDED_DATASETS, path):
        return
    difference = value_difference(old[()], new[()])
    if difference:
        report(f"{path}: {difference}")


def compare_objects(old, new, path, report):
    compare_attributes(old, new, path, report)
    if isinstance(old, h5py.Dataset):
        compare_datasets(old, new, path, report)
        return
    if not isinstance(old, h5py.Group):
        return
    names_old, names_new = set(old.keys()), set(new.keys())
    for name in sorted(names_old ^ names_new):
        report(f"{path.rstrip('/')}/{name}: only in {'old' if name in names_old else 'new'}")
    for name in sorted(names_old & names_new):
        child = f"{path.rstrip('/')}/{name}"
        link_old, link_new = old.get(name, getlink=True), new.get(name, getlink=True)
        if type(link_old) is not type(link_new):
            report(f"{child}: old {type(link_old).__name__}, new {type(link_new).__name__}")
        elif isinstance(link_old, h5py.SoftLink):
            if link_old.path != link_new.path:
                report(f"{child}: soft link old {link_old.path}, new {link_new.path}")
        elif isinstance(link_old, h5py.ExternalLink):
            if (link_old.filename, link_old.path) != (link_new.filename, link_new.path):
                report(f"{child}: external link old {link_old.filename}:{link_old.path}, new {link_new.filename}:{link_new.path}")
        else:
            a, b = old[name], new[name]
            if type(a) is not type(b):
                report(f"{child}: old {type(a).__name__}, new {type(b).__name__}")
            else:
                compare_objects(a, b, child, report)


def compare_hdf5(old_path, new_path, label):
    """All differences between two HDF5 files, as lines (empty when they are the same)."""
    differences = []
    with h5py.File(old_path, "r") as old, h5py.File(new_path, "r") as new:
        compare_objects(old, new, "/", lambda text: differences.append(f"{label} {text}"))
    return differences


# ---------------------------------------------------------------------------------------------------- text comparison


def mask_paths(text, side, out):
    """Replaces the side's own folders (which differ between old and new by construction) with placeholders."""
    for path, placeholder in ((out, "<out>"), (side.examples, "<examples>")):
        text = text.replace(str(path), placeholder)
    return text


def mask_table_column(text, header):
    """Replaces the cells of one column of every markdown table in text (compare's 's / epoch') with '<masked>'."""
    lines, column = text.splitlines(), None
    for k, line in enumerate(lines):
        if not line.startswith("|"):
            column = None
            continue
        cells = line.split("|")
        if column is None and header in [c.strip() for c in cells]:
            column = [c.strip() for c in cells].index(header)
        elif column is not None and column < len(cells) and not set(cells[column].strip()) <= set("-:"):
            cells[column] = " <masked> "
            lines[k] = "|".join(cells)
    return "\n".join(lines)


RUN_TIMING = re.compile(r"Build [0-9.,]+ s, simulation [0-9.,]+ s")


def mask_timing(text):
    return mask_table_column(RUN_TIMING.sub("Build <t> s, simulation <t> s", text), "s / epoch")


def compare_text(old, new, label):
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for k, (a, b) in enumerate(zip(old_lines, new_lines)):
        if a != b:
            return [f"{label} line {k + 1}: old {a!r}, new {b!r}"]
    if len(old_lines) != len(new_lines):
        return [f"{label}: old has {len(old_lines)} lines, new {len(new_lines)}"]
    return []


def compare_outputs(sides, results, outs, names):
    """All differences: exit code, then every file named (HDF5 value by value, markdown masked), then the masked
    stdout and stderr; the data come before the text so that the first difference names a dataset."""
    (old, new), (r_old, r_new), (o_old, o_new) = sides, results, outs
    differences = []
    if r_old.code != r_new.code:
        differences.append(f"exit code old {r_old.code}, new {r_new.code}")
    for name in names:
        a, b = o_old / name, o_new / name
        if not a.exists() or not b.exists():
            differences.append(f"{name}: missing in {'old' if not a.exists() else 'new'}")
        elif name.endswith(".h5"):
            differences += compare_hdf5(a, b, name)
        elif name.endswith(".md"):
            differences += compare_text(mask_timing(mask_paths(a.read_text(encoding="utf-8"), old, o_old)),
                                        mask_timing(mask_paths(b.read_text(encoding="utf-8"), new, o_new)), name)
    for stream in ("stdout", "stderr"):
        a = mask_timing(mask_paths(getattr(r_old, stream), old, o_old))
        b = mask_timing(mask_paths(getattr(r_new, stream), new, o_new))
        differences += compare_text(a, b, stream)
    return differences


def verdict(differences):
    """(status, line) from the list of differences."""
    if not differences:
        return "same", "same"
    more = f" (and {len(differences) - 1} more differences)" if len(differences) > 1 else ""
    return "DIFFERENT", f"DIFFERENT: {differences[0]}{more}"


def files_written(directory):
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()
                  and p.suffix not in (".stdout", ".stderr"))


# ---------------------------------------------------------------------------------------------------- the examples


class Comparison:
    def __init__(self, options):
        self.options = options
        self.sides = (Side("old", options.old, options.old_examples, options.work / "old"),
                      Side("new", options.new, options.new_examples, options.work / "new"))
        self.run_outputs = {}  # run example name -> (old h5, new h5), for fit files that read them

    def both(self, task):
        return both(self.sides, task, not self.options.sequential)

    def run_example(self, name, file_name):
        """biosim run on both sides; returns (status, line)."""
        def task(side):
            out = fresh(side.work / name)
            h5 = out / f"{name}.h5"
            result = invoke(side, ["run", str(side.examples / file_name), "-o", str(h5), "-q",
                                   "-t", str(self.options.threads), "--checkpoint-every", "1e6"], out / "biosim")
            return result, out
        (r_old, o_old), (r_new, o_new) = self.both(task)
        for side, r in zip(self.sides, (r_old, r_new)):
            if r.code != 0:
                return "FAILED", "FAILED: " + failure(side, r, "biosim run")
        self.run_outputs[name] = (o_old / f"{name}.h5", o_new / f"{name}.h5")
        differences = []
        listing = (files_written(o_old), files_written(o_new))
        if listing[0] != listing[1]:
            differences.append(f"files written: old {listing[0]}, new {listing[1]}")
        differences += compare_outputs(self.sides, (r_old, r_new), (o_old, o_new), [f"{name}.h5"])
        return verdict(differences)

    def compare_example(self, name, file_name):
        """biosim compare on both sides; returns (status, line)."""
        epochs = QUICK_EPOCHS.get(name, QUICK_EPOCHS_DEFAULT) if self.options.quick else None

        def task(side):
            out = fresh(side.work / name)
            arguments = ["compare", str(side.examples / file_name), "-o", str(out / "out"), "-q",
                         "-t", str(self.options.threads)]
            if epochs is not None:
                arguments += ["--epochs", str(epochs)]
            return invoke(side, arguments, out / "biosim"), out / "out"
        (r_old, o_old), (r_new, o_new) = self.both(task)
        for side, r in zip(self.sides, (r_old, r_new)):
            if r.code != 0:
                return "FAILED", "FAILED: " + failure(side, r, "biosim compare")
        listing = (files_written(o_old), files_written(o_new))
        differences = [] if listing[0] == listing[1] else [f"files written: old {listing[0]}, new {listing[1]}"]
        compared = [f for f in listing[0] if f in listing[1] and (f.endswith(".h5") or f.endswith(".md"))]
        differences += compare_outputs(self.sides, (r_old, r_new), (o_old, o_new), compared)
        status, line = verdict(differences)
        budget = f"{epochs} epoch{'s' if epochs != 1 else ''}" if epochs is not None else "the file's epochs"
        return status, f"{line} [{budget}]"

    def data_files(self, side, file_name):
        """The files a fit file names ("file": "...", relative to its folder), as (as written, run example or None):
        a file named after a run example of this side (rate-circuit.h5 <- rate-circuit.json) is that run's output."""
        text = (side.examples / file_name).read_text(encoding="utf-8")
        found = []
        for data in re.findall(r'"file"\s*:\s*"([^"]+)"', text):
            stem = Path(data).stem
            run = stem if kind_of(f"{stem}.json") == "run" and (side.examples / f"{stem}.json").exists() else None
            found.append((data, run))
        return found

    def fit_input(self, side, file_name):
        """The fit file to run: in place when it reads no file; otherwise a copy in a folder laid out like the
        repository (<root>/examples/<file>), with the files it names beside it where the relative paths point: this
        side's output of a run example, or a link to the file the original names."""
        source = side.examples / file_name
        data_files = self.data_files(side, file_name)
        if not data_files:
            return source
        root = fresh(side.work / "fit-inputs" / Path(file_name).stem)
        copy = root / "examples" / file_name
        copy.parent.mkdir()
        shutil.copyfile(source, copy)
        for data, run in data_files:
            target = (copy.parent / data).resolve()
            if Path(data).is_absolute() or root not in target.parents:
                continue  # read where it is: nothing is placed outside the copy's folder
            target.parent.mkdir(parents=True, exist_ok=True)
            if run is not None:
                if run not in self.run_outputs:
                    raise RuntimeError(f"{file_name} reads the output of {run}.json, which did not run")
                shutil.copyfile(self.run_outputs[run][0 if side.name == "old" else 1], target)
            elif (source.parent / data).exists() and not target.exists():
                target.symlink_to((source.parent / data).resolve())
        return copy

    def fit_example(self, name, file_name):
        """biosim fit on both sides; each must meet the example's bar. Returns (status, line)."""
        criterion = FIT_CRITERIA.get(name)
        if criterion is None:
            return "FAILED", f"FAILED: no bar known for {file_name}; add it to FIT_CRITERIA in {Path(__file__).name}"
        # A fit file that reads a run example's output needs that run on both sides first (e.g. with --only).
        for run in sorted({run for side in self.sides for _, run in self.data_files(side, file_name) if run}):
            if run not in self.run_outputs:
                status, line = self.run_example(run, f"{run}.json")
                print(f"{'':<30} (ran {run}.json first, for {file_name}: {line})", flush=True)
                if status != "same":
                    return status, f"{status}: in {run}.json, whose output it reads: {line}"

        def task(side):
            out = fresh(side.work / name)
            result = invoke(side, ["fit", str(self.fit_input(side, file_name)), "-o", str(out / "out")], out / "biosim")
            return result, out / "out"
        (r_old, o_old), (r_new, o_new) = self.both(task)
        for side, r in zip(self.sides, (r_old, r_new)):
            if r.code != 0:
                return "FAILED", "FAILED: " + failure(side, r, "biosim fit")
        parameters = []
        for side, out in zip(self.sides, (o_old, o_new)):
            try:
                parameters.append(json.loads((out / "parameters.json").read_text(encoding="utf-8")))
            except (OSError, ValueError) as e:
                return "FAILED", f"FAILED: {side.name} parameters.json: {e}"
        measured = [measure(criterion, p) for p in parameters]
        identical = parameters[0].get("parameters") == parameters[1].get("parameters")
        text = (f"old {measured[0][1]}, new {measured[1][1]}, threshold {criterion.threshold:g}; "
                f"fitted parameters {'identical' if identical else 'differ'}")
        if all(ok for ok, _ in measured):
            return "ok", f"ok ({text})"
        failed = " and ".join(side.name for side, (ok, _) in zip(self.sides, measured) if not ok)
        return "FAILED", f"FAILED: {failed} misses the bar ({text}); the bar: {criterion.source}"


def measure(criterion, parameters):
    """(meets the bar, description) for one side's parameters.json."""
    if criterion.metric == "heldout_mse":
        key = next((k for k in HELD_OUT_KEYS if k in parameters), None)
        if key is None:
            return False, f"mse missing (parameters.json has {sorted(parameters)})"
        mse = parameters[key]
        return mse < criterion.threshold, f"mse {mse:.4g}"
    if criterion.metric == "rate_circuit_recovery":
        try:
            w, tau = parameters["W"], parameters["tau"]
        except KeyError as e:
            return False, f"{e} missing from parameters.json"
        scale = max(abs(v) for v in RATE_CIRCUIT_TRUE_W)
        w_error = max(abs(a - b) / scale for a, b in zip(w, RATE_CIRCUIT_TRUE_W))
        tau_error = max(abs(a - b) / b for a, b in zip(tau, RATE_CIRCUIT_TRUE_TAU))
        ok = len(w) == len(RATE_CIRCUIT_TRUE_W) and len(tau) == len(RATE_CIRCUIT_TRUE_TAU) \
            and w_error < criterion.threshold and tau_error < criterion.threshold
        mse = parameters.get("trajectory_mse")
        mse_text = f", trajectory mse {mse:.4g}" if isinstance(mse, (int, float)) else ""
        return ok, f"W error {w_error:.2%}, tau error {tau_error:.2%}{mse_text}"
    raise ValueError(criterion.metric)


def child_cpu_seconds():
    """CPU seconds (user + system) of the finished child processes: with the wall time, shows how much of it was
    waiting for a machine shared with others."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def kind_of(file_name):
    if file_name.startswith("fit-"):
        return "fit"
    if file_name.startswith("compare-"):
        return "compare"
    return "run"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="biosim.dll before the change")
    parser.add_argument("--new", type=Path, required=True, help="biosim.dll after the change")
    parser.add_argument("--work", type=Path, help="folder for the outputs (default: a new folder in /tmp)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these examples (cuba or cuba.json)")
    parser.add_argument("--quick", action="store_true", help="cut the compare examples' training (QUICK_EPOCHS)")
    parser.add_argument("--old-examples", type=Path, default=DEFAULT_OLD_EXAMPLES,
                        help=f"the examples the old dll reads (default {DEFAULT_OLD_EXAMPLES})")
    parser.add_argument("--new-examples", type=Path, default=DEFAULT_NEW_EXAMPLES,
                        help="the examples the new dll reads (default examples/ of this repository)")
    parser.add_argument("--threads", type=int, default=1,
                        help="-t for every run and compare command, both sides (default 1: the two sides run at once)")
    parser.add_argument("--sequential", action="store_true", help="run the old side, then the new one")
    options = parser.parse_args()

    for attribute in ("old", "new", "old_examples", "new_examples"):
        path = getattr(options, attribute).resolve()
        if not path.exists():
            parser.error(f"--{attribute.replace('_', '-')} {path}: no such file or folder")
        setattr(options, attribute, path)
    options.work = (options.work or Path(tempfile.mkdtemp(prefix="biosim-compare-examples-"))).resolve()
    options.work.mkdir(parents=True, exist_ok=True)

    names = sorted({p.name for p in options.new_examples.glob("*.json")} | {p.name for p in options.old_examples.glob("*.json")})
    if options.only:
        wanted = {n if n.endswith(".json") else f"{n}.json" for n in options.only}
        unknown = sorted(wanted - set(names))
        if unknown:
            parser.error(f"--only: no such example: {', '.join(unknown)} (examples: {', '.join(names)})")
        names = [n for n in names if n in wanted]
    order = {"run": 0, "compare": 1, "fit": 2}  # run examples first: fit files may read their outputs
    names.sort(key=lambda n: (order[kind_of(n)], n))

    comparison = Comparison(options)
    print(f"old: {options.old} (examples {options.old_examples})")
    print(f"new: {options.new} (examples {options.new_examples})")
    print(f"work: {options.work}; {'quick' if options.quick else 'full'} budgets; -t {options.threads}; "
          f"sides {'one after the other' if options.sequential else 'at the same time'}", flush=True)
    started = time.monotonic()
    tally = {"same": 0, "ok": 0, "DIFFERENT": 0, "FAILED": 0}
    for file_name in names:
        name, kind = Path(file_name).stem, kind_of(file_name)
        begin, cpu = time.monotonic(), child_cpu_seconds()
        present = [(s.examples / file_name).exists() for s in comparison.sides]
        try:
            if not all(present):
                status, line = "DIFFERENT", f"DIFFERENT: only in the {'old' if present[0] else 'new'} examples"
            elif kind == "run":
                status, line = comparison.run_example(name, file_name)
            elif kind == "compare":
                status, line = comparison.compare_example(name, file_name)
            else:
                status, line = comparison.fit_example(name, file_name)
        except Exception as e:  # noqa: BLE001 -- a crash on one example must not hide the others
            status, line = "FAILED", f"FAILED: {type(e).__name__}: {e}"
        if kind != "fit" and status == "DIFFERENT" and all(present) and len({(s.examples / file_name).read_bytes() for s in comparison.sides}) > 1:
            line += " (note: the old and new example files differ)"
        tally[status] += 1
        print(f"{file_name:<30} {kind:<7} {time.monotonic() - begin:6.1f} s ({child_cpu_seconds() - cpu:6.1f} s cpu)  {line}",
              flush=True)
    bad = tally["DIFFERENT"] + tally["FAILED"]
    print(f"{len(names)} examples: {tally['same']} same, {tally['ok']} ok, {tally['DIFFERENT']} different, "
          f"{tally['FAILED']} failed; {time.monotonic() - started:.0f} s wall, {child_cpu_seconds():.0f} s cpu of the biosim "
          f"processes; {'PASS' if bad == 0 else 'FAIL'}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
