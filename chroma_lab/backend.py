"""What differs between Keras backends, written down once: devices, data parallelism, processes.

Model code uses ``keras.ops`` only and runs unchanged on TensorFlow, JAX and PyTorch
(``tests/test_backends.py`` proves the same saved model gives the same outputs and loss on each).
What does differ lives here:

* **Seeding**: ``keras.utils.set_random_seed`` seeds Python, NumPy and the backend's own
  generator on all three; Keras layers draw from ``keras.random.SeedGenerator`` state, the same
  on every backend, so nothing else is needed.
* **jit_compile**: the models compile with Keras' default ``"auto"`` on every backend: XLA on
  JAX always, XLA on TensorFlow where every op has a kernel, eager on PyTorch (``torch.compile``
  through Keras takes longer to start than a CPU lesson lasts).
* **Data parallelism**: Keras 3.15's ``keras.distribution.DataParallel`` trains on the JAX
  backend only (``keras/src/backend/__init__.py`` imports a ``distribution_lib`` for JAX, and one
  for TensorFlow that ``Model.fit`` does not use; PyTorch has none), so :func:`setup_data_parallel`
  refuses another backend in one line.
* **Several processes**: ``keras.distribution.initialize`` (``jax.distributed`` underneath; on
  CPUs the collectives go through Gloo). Every process feeds its own slice of each global batch
  (:func:`process_shard`); the variables are replicated and identical in every process.
"""

from __future__ import annotations

import os

from chroma_lab.errors import ChromaLabError

# Environment variables read when the command line does not give the values (a cluster scheduler
# sets Keras' own; ours name the coordinator in the same HOST:PORT form as --coordinator).
COORDINATOR_ENV = ("CHROMA_LAB_COORDINATOR", "KERAS_DISTRIBUTION_JOB_ADDRESSES")
NUM_PROCESSES_ENV = ("CHROMA_LAB_NUM_PROCESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES")
PROCESS_ID_ENV = ("CHROMA_LAB_PROCESS_ID", "KERAS_DISTRIBUTION_PROCESS_ID")
BACKENDS = ("tensorflow", "jax", "torch")


def backend_name() -> str:
    import keras

    return keras.backend.backend()


def list_devices() -> list[str]:
    """The devices data parallelism can use, of all processes: GPUs (or TPUs) if any, else CPUs."""
    import keras

    return list(keras.distribution.list_devices())


def cluster_from_env(coordinator=None, num_processes=None, process_id=None):
    """``(coordinator, num_processes, process_id)``, each from the argument or else the
    environment (:data:`COORDINATOR_ENV` ...); ``None`` where neither gives it."""

    def first(value, names):
        if value is not None:
            return value
        return next((os.environ[n] for n in names if os.environ.get(n, "").strip()), None)

    coordinator = first(coordinator, COORDINATOR_ENV)
    if coordinator is not None:
        coordinator = str(coordinator).split(",")[0]  # Keras' variable may list every job
    num_processes = first(num_processes, NUM_PROCESSES_ENV)
    process_id = first(process_id, PROCESS_ID_ENV)
    try:
        num_processes = None if num_processes is None else int(num_processes)
        process_id = None if process_id is None else int(process_id)
    except ValueError as exc:
        raise ChromaLabError(f"the number of processes and the process id must be integers ({exc})") from exc
    return coordinator, num_processes, process_id


def setup_data_parallel(devices="all", coordinator=None, num_processes=None, process_id=None):
    """Join the cluster (when ``coordinator`` is given) and set a global ``DataParallel``.

    Call before any model is built. ``devices``: an int (the first N devices of
    :func:`list_devices`) or ``"all"``. With several processes each contributes all of its
    local devices, and ``devices`` counts those of every process.

    Returns
    -------
    keras.distribution.DataParallel

    Raises
    ------
    ValueError
        Not the JAX backend, a bad ``devices``, or an incomplete cluster description.
    """
    import keras

    backend = backend_name()
    if backend != "jax":
        raise ChromaLabError(f"data-parallel training needs KERAS_BACKEND=jax (keras.distribution "
                             f"trains on JAX only in Keras {keras.__version__}); this is {backend}")
    if coordinator is not None or num_processes is not None or process_id is not None:
        if coordinator is None or num_processes is None or process_id is None:
            raise ChromaLabError("several processes need all three of the coordinator HOST:PORT, the "
                                 "number of processes and this process's id")
        if ":" not in coordinator:
            raise ChromaLabError(f"the coordinator must be HOST:PORT, got {coordinator!r}")
        if num_processes < 1 or not 0 <= process_id < num_processes:
            raise ChromaLabError(f"the process id must be in 0..{num_processes - 1} and there must be "
                                 f"at least one process, got id {process_id} of {num_processes}")
        if num_processes > 1:
            keras.distribution.initialize(coordinator, num_processes, process_id)
    available = list_devices()
    if devices == "all":
        chosen = available
    else:
        if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
            raise ChromaLabError(f"devices must be a positive integer or 'all', got {devices!r}")
        if devices > len(available):
            raise ChromaLabError(f"devices {devices} is more than the {len(available)} available "
                                 f"({', '.join(available)})")
        chosen = available[:devices]
    # auto_shard_dataset=False: each process already feeds only its own slice (process_shard)
    distribution = keras.distribution.DataParallel(devices=chosen, auto_shard_dataset=False)
    keras.distribution.set_distribution(distribution)
    return distribution


def replicas() -> int:
    """Devices the global batch is split over: 1 without a distribution."""
    import keras

    distribution = keras.distribution.distribution()
    return 1 if distribution is None else int(distribution.device_mesh.devices.size)


def process_count() -> int:
    return _jax_process()[1]


def process_index() -> int:
    return _jax_process()[0]


def is_chief() -> bool:
    """True in the process that writes checkpoints, logs and figures (process 0)."""
    return process_index() == 0


def process_shard(batch_size: int):
    """``slice`` of a global batch of ``batch_size`` that this process feeds.

    Process p of P takes rows ``[p * b, (p + 1) * b)`` with ``b = batch_size / P``: the slices of
    all processes, in order, are the global batch, so a P-process run sees the same global batches
    as a single-process one and the shards of an epoch cover it exactly once.
    """
    index, count = _jax_process()
    if batch_size % count:
        raise ChromaLabError(f"a batch of {batch_size} cannot be split evenly over {count} processes")
    local = batch_size // count
    return slice(index * local, (index + 1) * local)


def _jax_process() -> tuple[int, int]:
    if backend_name() != "jax":
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()
