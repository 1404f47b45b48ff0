"""The pandas side of `cairn bench import`: read_csv + describe on the same file, timed in
this process; prints one JSON line. Peak memory is this process's maximum resident set."""
import json, resource, sys, time



def peak_mb():
    """VmHWM: this process's own peak (ru_maxrss can carry the parent's over fork + exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


t0 = time.perf_counter()
import pandas as pd  # noqa: E402

t1 = time.perf_counter()
df = pd.read_csv(sys.argv[1])
t2 = time.perf_counter()
summary = df.describe(include="all")
missing = df.isna().sum()
t3 = time.perf_counter()
print(json.dumps({
    "pandas": pd.__version__,
    "import_seconds": t1 - t0,
    "read_seconds": t2 - t1,
    "describe_seconds": t3 - t2,
    "rows": int(len(df)),
    "peak_rss_mb": peak_mb(),
}))
