# lit configuration for dr1's regression tests.
import os

import lit.formats

config.name = "dr1"
# The build's site file (paths to the build tree) is passed as a parameter:
#   lit test/Dialect --param dr1_site_config=build/test/lit.site.cfg.py
_site = lit_config.params.get("dr1_site_config")
if not _site:
    lit_config.fatal("pass --param dr1_site_config=<build>/test/lit.site.cfg.py "
                     "(ctest does this)")
lit_config.load_config(config, _site)

config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test", ".c"]
config.excludes = ["Inputs", "harness.c", "lit.cfg.py", "CMakeLists.txt", "unit", "python", "onnx"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dr1_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.dr1_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%dr1c", os.path.join(config.dr1_tools_dir, "dr1c")))
config.substitutions.append(("%dr1-opt", os.path.join(config.dr1_tools_dir, "dr1-opt")))
# --param dr1_valgrind=1 runs the compiler under memcheck, through wrappers
# that come first on PATH: a use after free in a pass often crashes only with
# another allocator's layout (CI's).
if lit_config.params.get("dr1_valgrind"):
    _wrappers = os.path.join(config.dr1_obj_root, "test", "valgrind-bin")
    os.makedirs(_wrappers, exist_ok=True)
    for _tool in ("dr1c", "dr1-opt"):
        _path = os.path.join(_wrappers, _tool)
        with open(_path, "w") as f:
            f.write("#!/bin/sh\nexec valgrind -q --error-exitcode=99 "
                    "--exit-on-first-error=yes %s \"$@\"\n"
                    % os.path.join(config.dr1_tools_dir, _tool))
        os.chmod(_path, 0o755)
        config.substitutions = [(k, _path if k == "%" + _tool else v)
                                for k, v in config.substitutions]
    config.environment["PATH"] = _wrappers + os.pathsep + config.environment["PATH"]
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%root", config.dr1_src_root))
config.substitutions.append(("%e2e", os.path.join(config.dr1_src_root, "test", "e2e")))

# GPU targets: PTX is validated with ptxas where the CUDA toolkit is
# installed; compiled GPU code runs only where a CUDA driver reports a device.
_ptxas = "/usr/local/cuda/bin/ptxas"
if os.path.exists(_ptxas):
    config.available_features.add("ptxas")


def _cuda_device_present():
    import ctypes
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 \
        and count.value > 0


if _cuda_device_present():
    config.available_features.add("cuda-gpu")


# Kernels for optional instructions run only where the CPU has them.
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


if "avx512_bf16" in _cpu_flags():
    config.available_features.add("avx512bf16")
