"""Qorgau: a case system for the people who stand beside survivors of domestic violence."""

import os

# One BLAS thread per process (numpy, for the suppression audit): web servers and workers
# are already one process per core, and extra threads only fight them for it (the audit's
# eigendecomposition ran 4-10x slower with two threads on a busy 2-core machine).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
