"""Python threads run compiled graphs at once: the GIL is released."""
import sys
import threading
import time

import pytest

import qjit

np = pytest.importorskip("numpy", reason="the tests need NumPy (python3-numpy)")

N = 1 << 24


def fake_quant(jit, n):
    return jit.compile(qjit.parse("""graph @fq(t0: Float32 [%d]) {
  t1 = FakeQuantization(t0, symmetric=false, scale=0.01, zero_point=7) : Float32 [%d]
  return t1
}""" % (n, n))[0])


def test_threads_share_a_function(jit):
    f = fake_quant(jit, 4096)
    rng = np.random.default_rng(4)
    inputs = [rng.standard_normal(4096).astype(np.float32) for _ in range(8)]
    expected = [f(x) for x in inputs]
    results = [None] * len(inputs)
    errors = []

    def work(i):
        try:
            for _ in range(50):
                results[i] = f(inputs[i], threads=1)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for got, want in zip(results, expected):
        assert got.tobytes() == want.tobytes()


def test_compiles_from_threads(jit):
    functions = [None] * 4

    def work(i):
        functions[i] = fake_quant(jit, 1000 + i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, f in enumerate(functions):
        assert f.input_types[0][1] == (1000 + i,)


def test_gil_is_released_while_running(jit):
    # While one thread runs a large graph, the main thread keeps running
    # Python. With the GIL held it would stall for each whole run; the check
    # asks for it to be stalled (gaps of half a run or more) during less
    # than half of the time.
    f = fake_quant(jit, N)
    x = np.random.default_rng(5).standard_normal(N).astype(np.float32)
    out = np.empty_like(x)
    f(x, out=out, threads=1)
    start = time.perf_counter()
    for _ in range(5):
        f(x, out=out, threads=1)
    one_run = (time.perf_counter() - start) / 5

    done = threading.Event()

    def work():
        for _ in range(5):
            f(x, out=out, threads=1)
        done.set()

    worker = threading.Thread(target=work)
    stalled = 0.0
    # The worker gets the GIL within 0.5 ms between its runs, not 5 ms.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        last = time.perf_counter()
        began = last
        worker.start()
        while not done.is_set():
            now = time.perf_counter()
            if now - last > one_run / 2:
                stalled += now - last
            last = now
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    total = time.perf_counter() - began
    assert total > 2 * one_run
    print("stalled %.1f ms of %.1f ms; one run %.1f ms" % (stalled * 1e3, total * 1e3, one_run * 1e3))
    assert stalled < 0.5 * total, (stalled, total, one_run)
