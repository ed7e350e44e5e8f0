"""Open an HDF5 file for reading as a user of a killed BioSim run does (README, "Stopping and resuming").

BioSim writes in SWMR mode: while a run writes, and after it was killed, the file's superblock says "open for writing",
and a plain h5py.File(path) refuses it ("file is already open for write"); h5py.File(path, "r", swmr=True) reads it (a
consistent state with every flushed block). A file closed normally opens plainly.
"""
import h5py


def open_h5(path):
    try:
        return h5py.File(path, "r")
    except OSError as e:
        if "already open for write" not in str(e):
            raise
        return h5py.File(path, "r", swmr=True)
