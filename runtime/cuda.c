/*===- cuda.c - libdr1rt's CUDA driver loader and kernel launcher ---------===*
 *
 * Models compiled for -target=nvptx carry PTX and call the mgpu* entry
 * points below (the names MLIR's gpu-to-llvm lowering emits). The CUDA
 * driver is opened at run time (dlopen of libcuda.so.1): nothing links
 * against CUDA, and a machine without a GPU or driver gets an error
 * message from dr1rt_last_error(), never a crash.
 *
 *===----------------------------------------------------------------------===*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cuda_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few driver types and constants used, as the driver API defines them. */
typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef void *CUevent;
typedef unsigned long long CUdeviceptr;
enum { CUDA_SUCCESS = 0 };
enum {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7
};
enum { CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2, CU_MEMORYTYPE_DEVICE = 2 };
/* Blocking streams: a model's kernels are ordered after the session's
 * copies, which run on the legacy default stream (a copy from pageable
 * memory may return before its DMA has landed). */
enum { CU_STREAM_DEFAULT = 0, CU_EVENT_DISABLE_TIMING = 2 };

static struct {
  CUresult (*Init)(unsigned);
  CUresult (*DeviceGetCount)(int *);
  CUresult (*DeviceGet)(CUdevice *, int);
  CUresult (*DeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*DevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*CtxSetCurrent)(CUcontext);
  CUresult (*ModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                               void **);
  CUresult (*ModuleLoadData)(CUmodule *, const void *);
  CUresult (*ModuleUnload)(CUmodule);
  CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*ModuleGetGlobal)(CUdeviceptr *, size_t *, CUmodule, const char *);
  CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*StreamCreate)(CUstream *, unsigned);
  CUresult (*StreamDestroy)(CUstream);
  CUresult (*StreamSynchronize)(CUstream);
  CUresult (*StreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*EventCreate)(CUevent *, unsigned);
  CUresult (*EventDestroy)(CUevent);
  CUresult (*EventRecord)(CUevent, CUstream);
  CUresult (*EventSynchronize)(CUevent);
  CUresult (*MemAlloc)(CUdeviceptr *, size_t);
  CUresult (*MemFree)(CUdeviceptr);
  CUresult (*MemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*MemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*PointerGetAttribute)(void *, int, CUdeviceptr);
  CUresult (*GetErrorString)(CUresult, const char **);
} cu;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CUcontext context;
static int device_sm; /* compute capability as major * 10 + minor */
static char init_error[256];
/* Why a model's PTX did not load (the driver works). */
static char load_error[256];
static _Thread_local char run_error[512];

static void set_error(char *buf, size_t size, const char *fmt, ...) {
  if (buf[0])
    return; /* the first error is the one worth reporting */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, size, fmt, ap);
  va_end(ap);
}

static const char *describe(CUresult r) {
  const char *s = NULL;
  if (cu.GetErrorString && cu.GetErrorString(r, &s) == CUDA_SUCCESS && s)
    return s;
  return "unknown CUDA error";
}

/* Records a failed driver call for the current run; 0 if it failed. */
static int check(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS)
    return 1;
  set_error(run_error, sizeof run_error, "CUDA %s failed: %s (error %d)", what,
            describe(r), r);
  return 0;
}

static void init(void) {
  const char *lib = "libcuda.so.1";
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    set_error(init_error, sizeof init_error,
              "no CUDA driver: cannot load %s (is an NVIDIA driver "
              "installed?)",
              lib);
    return;
  }
#define LOAD(field, symbol)                                                    \
  do {                                                                         \
    *(void **)&cu.field = dlsym(h, symbol);                                    \
    if (!cu.field) {                                                           \
      set_error(init_error, sizeof init_error,                                 \
                "the CUDA driver %s lacks %s (driver too old?)", lib, symbol); \
      return;                                                                  \
    }                                                                          \
  } while (0)
  LOAD(GetErrorString, "cuGetErrorString");
  LOAD(Init, "cuInit");
  LOAD(DeviceGetCount, "cuDeviceGetCount");
  LOAD(DeviceGet, "cuDeviceGet");
  LOAD(DeviceGetAttribute, "cuDeviceGetAttribute");
  LOAD(DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  LOAD(CtxSetCurrent, "cuCtxSetCurrent");
  LOAD(ModuleLoadDataEx, "cuModuleLoadDataEx");
  LOAD(ModuleLoadData, "cuModuleLoadData");
  LOAD(ModuleUnload, "cuModuleUnload");
  LOAD(ModuleGetFunction, "cuModuleGetFunction");
  LOAD(ModuleGetGlobal, "cuModuleGetGlobal_v2");
  LOAD(LaunchKernel, "cuLaunchKernel");
  LOAD(StreamCreate, "cuStreamCreate");
  LOAD(StreamDestroy, "cuStreamDestroy_v2");
  LOAD(StreamSynchronize, "cuStreamSynchronize");
  LOAD(StreamWaitEvent, "cuStreamWaitEvent");
  LOAD(EventCreate, "cuEventCreate");
  LOAD(EventDestroy, "cuEventDestroy_v2");
  LOAD(EventRecord, "cuEventRecord");
  LOAD(EventSynchronize, "cuEventSynchronize");
  LOAD(MemAlloc, "cuMemAlloc_v2");
  LOAD(MemFree, "cuMemFree_v2");
  LOAD(MemcpyHtoD, "cuMemcpyHtoD_v2");
  LOAD(MemcpyDtoH, "cuMemcpyDtoH_v2");
  LOAD(PointerGetAttribute, "cuPointerGetAttribute");
#undef LOAD
  CUresult r = cu.Init(0);
  int count = 0;
  if (r == CUDA_SUCCESS)
    r = cu.DeviceGetCount(&count);
  if (r != CUDA_SUCCESS || count == 0) {
    set_error(init_error, sizeof init_error, "no CUDA device: %s",
              r != CUDA_SUCCESS ? describe(r) : "the driver reports none");
    return;
  }
  /* Device 0's primary context: the one the CUDA runtime and PyTorch
   * share, so device pointers from either are valid here. */
  CUdevice dev;
  CUcontext ctx;
  if ((r = cu.DeviceGet(&dev, 0)) != CUDA_SUCCESS ||
      (r = cu.DevicePrimaryCtxRetain(&ctx, dev)) != CUDA_SUCCESS) {
    set_error(init_error, sizeof init_error, "cannot open CUDA device 0: %s",
              describe(r));
    return;
  }
  int major = 0, minor = 0;
  /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR */
  if (cu.DeviceGetAttribute(&major, 75, dev) == CUDA_SUCCESS &&
      cu.DeviceGetAttribute(&minor, 76, dev) == CUDA_SUCCESS)
    device_sm = major * 10 + minor;
  context = ctx;
}

int dr1rti_cuda_device_sm(void) {
  pthread_once(&init_once, init);
  return context ? device_sm : 0;
}

/* The driver, initialized once, with the context current on this thread. */
static int ready(void) {
  pthread_once(&init_once, init);
  if (!context) {
    set_error(run_error, sizeof run_error, "%s", init_error);
    return 0;
  }
  return check(cu.CtxSetCurrent(context), "cuCtxSetCurrent");
}

const char *dr1rti_cuda_init_error(void) {
  pthread_once(&init_once, init);
  if (!context)
    return init_error;
  return load_error[0] ? load_error : NULL;
}

const char *dr1rti_cuda_run_error(void) {
  return run_error[0] ? run_error : NULL;
}

void dr1rti_cuda_clear_run_error(void) { run_error[0] = 0; }

int dr1rti_cuda_is_device_pointer(const void *p) {
  if (!ready() || !p)
    return 0;
  unsigned int type = 0;
  CUresult r = cu.PointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                      (CUdeviceptr)(uintptr_t)p);
  return r == CUDA_SUCCESS && type == CU_MEMORYTYPE_DEVICE;
}

void *dr1rti_cuda_alloc(size_t bytes) {
  CUdeviceptr p = 0;
  if (!ready() || !check(cu.MemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc"))
    return NULL;
  return (void *)(uintptr_t)p;
}

void dr1rti_cuda_free(void *p) {
  if (p && ready())
    cu.MemFree((CUdeviceptr)(uintptr_t)p);
}

int dr1rti_cuda_copy_to_device(void *dst, const void *src, size_t bytes) {
  return ready() &&
         check(cu.MemcpyHtoD((CUdeviceptr)(uintptr_t)dst, src, bytes),
               "cuMemcpyHtoD");
}

int dr1rti_cuda_copy_to_host(void *dst, const void *src, size_t bytes) {
  return ready() &&
         check(cu.MemcpyDtoH(dst, (CUdeviceptr)(uintptr_t)src, bytes),
               "cuMemcpyDtoH");
}

/*===- Weights of device modules ------------------------------------------===*/

/* A model's weights stay in the host object; its PTX declares them. Each
 * model's constructor registers the table for its PTX before the module is
 * loaded (constructors run one at a time, at program start or dlopen). */
typedef struct dr1rt_weight {
  const char *name; /* the device global */
  const void *data;
  uint64_t bytes;
} dr1rt_weight;

enum { MAX_MODULES = 64 };
static struct {
  const void *ptx;
  const dr1rt_weight *weights;
  uint64_t count;
} registry[MAX_MODULES];
static int registered;

#define DR1RT_MGPU __attribute__((visibility("default")))

DR1RT_MGPU void dr1rt_cuda_register_weights(const void *ptx,
                                            const dr1rt_weight *weights,
                                            uint64_t count) {
  if (registered == MAX_MODULES) {
    set_error(load_error, sizeof load_error,
              "more than %d CUDA models in one program", MAX_MODULES);
    return;
  }
  registry[registered].ptx = ptx;
  registry[registered].weights = weights;
  registry[registered].count = count;
  ++registered;
}

/* Copies the registered weights of `ptx` into the freshly loaded module. */
static int upload_weights(const void *ptx, CUmodule m) {
  for (int r = 0; r < registered; ++r) {
    if (registry[r].ptx != ptx)
      continue;
    for (uint64_t i = 0; i < registry[r].count; ++i) {
      const dr1rt_weight *w = &registry[r].weights[i];
      CUdeviceptr p = 0;
      size_t bytes = 0;
      CUresult e = cu.ModuleGetGlobal(&p, &bytes, m, w->name);
      if (e == CUDA_SUCCESS && bytes != w->bytes)
        e = -1;
      if (e == CUDA_SUCCESS)
        e = cu.MemcpyHtoD(p, w->data, (size_t)w->bytes);
      if (e != CUDA_SUCCESS) {
        set_error(load_error, sizeof load_error,
                  "cannot copy weight %s (%llu bytes) to the GPU: %s", w->name,
                  (unsigned long long)w->bytes,
                  e == -1 ? "size mismatch" : describe(e));
        return 0;
      }
    }
  }
  return 1;
}

/*===- The entry points compiled models call ------------------------------===*/

/* PTX (NUL-terminated), JIT-compiled by the driver for the GPU present. A
 * model's module is loaded from a constructor when the program starts:
 * failures are kept and reported by the first run. */
DR1RT_MGPU void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (!ready())
    return NULL; /* init_error says why */
  char log[1024] = {0};
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, (void *)(uintptr_t)sizeof log,
                    (void *)(uintptr_t)optLevel};
  CUmodule m = NULL;
  CUresult r = cu.ModuleLoadDataEx(&m, data, 3, options, values);
  if (r != CUDA_SUCCESS) {
    set_error(load_error, sizeof load_error,
              "the CUDA driver rejected the model's PTX: %s%s%.160s",
              describe(r), log[0] ? ": " : "", log);
    return NULL;
  }
  if (!upload_weights(data, m)) {
    cu.ModuleUnload(m);
    return NULL;
  }
  return m;
}

DR1RT_MGPU void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  if (!ready())
    return NULL;
  CUmodule m = NULL;
  if (!check(cu.ModuleLoadData(&m, data), "cuModuleLoadData"))
    return NULL;
  return m;
}

DR1RT_MGPU void mgpuModuleUnload(void *module) {
  /* At exit the driver may already be gone; a missing module was never
   * loaded. */
  if (module && context)
    cu.ModuleUnload((CUmodule)module);
}

/* DR1RT_CUDA_SYNC=1 (debugging): every launch is followed by a
 * synchronization, and a launch that fails or a kernel that faults is
 * reported by name, instead of as the first failure the stream reports. */
static int sync_each_launch(void) {
  static int on = -1;
  if (on < 0) {
    const char *v = getenv("DR1RT_CUDA_SYNC");
    on = v && *v && strcmp(v, "0") != 0;
  }
  return on;
}

enum { MAX_NAMED_KERNELS = 4096 };
static struct {
  CUfunction f;
  char name[96];
} named_kernels[MAX_NAMED_KERNELS];
static int num_named_kernels;

static const char *kernel_name(CUfunction f) {
  for (int i = 0; i < num_named_kernels; ++i)
    if (named_kernels[i].f == f)
      return named_kernels[i].name;
  return "?";
}

DR1RT_MGPU void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || !ready())
    return NULL;
  CUfunction f = NULL;
  if (!check(cu.ModuleGetFunction(&f, (CUmodule)module, name),
             "cuModuleGetFunction"))
    return NULL;
  if (sync_each_launch() && strcmp(kernel_name(f), "?") == 0 &&
      num_named_kernels < MAX_NAMED_KERNELS) {
    named_kernels[num_named_kernels].f = f;
    snprintf(named_kernels[num_named_kernels].name,
             sizeof named_kernels[0].name, "%s", name);
    ++num_named_kernels;
  }
  return f;
}

DR1RT_MGPU void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ, int32_t smem,
                                 void *stream, void **params, void **extra,
                                 size_t paramsCount) {
  (void)paramsCount;
  if (!function) {
    set_error(run_error, sizeof run_error, "%s",
              init_error[0]   ? init_error
              : load_error[0] ? load_error
                              : "a kernel of the model was not loaded");
    return;
  }
  if (!ready())
    return;
  CUresult r = cu.LaunchKernel(
      (CUfunction)function, (unsigned)gridX, (unsigned)gridY, (unsigned)gridZ,
      (unsigned)blockX, (unsigned)blockY, (unsigned)blockZ, (unsigned)smem,
      (CUstream)stream, params, extra);
  if (sync_each_launch() && r == 0)
    r = cu.StreamSynchronize((CUstream)stream);
  if (r != CUDA_SUCCESS && sync_each_launch()) {
    set_error(run_error, sizeof run_error,
              "kernel %s (grid %ldx%ldx%ld, block %ldx%ldx%ld) failed: %s "
              "(error %d)",
              kernel_name((CUfunction)function), (long)gridX, (long)gridY,
              (long)gridZ, (long)blockX, (long)blockY, (long)blockZ,
              describe(r), r);
    return;
  }
  check(r, "cuLaunchKernel");
}

DR1RT_MGPU void *mgpuStreamCreate(void) {
  CUstream s = NULL;
  if (ready())
    check(cu.StreamCreate(&s, CU_STREAM_DEFAULT), "cuStreamCreate");
  return s;
}

DR1RT_MGPU void mgpuStreamDestroy(void *stream) {
  if (stream && ready())
    check(cu.StreamDestroy((CUstream)stream), "cuStreamDestroy");
}

DR1RT_MGPU void mgpuStreamSynchronize(void *stream) {
  if (stream && ready())
    check(cu.StreamSynchronize((CUstream)stream), "cuStreamSynchronize");
}

DR1RT_MGPU void mgpuStreamWaitEvent(void *stream, void *event) {
  if (stream && event && ready())
    check(cu.StreamWaitEvent((CUstream)stream, (CUevent)event, 0),
          "cuStreamWaitEvent");
}

DR1RT_MGPU void *mgpuEventCreate(void) {
  CUevent e = NULL;
  if (ready())
    check(cu.EventCreate(&e, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return e;
}

DR1RT_MGPU void mgpuEventDestroy(void *event) {
  if (event && ready())
    check(cu.EventDestroy((CUevent)event), "cuEventDestroy");
}

DR1RT_MGPU void mgpuEventSynchronize(void *event) {
  if (event && ready())
    check(cu.EventSynchronize((CUevent)event), "cuEventSynchronize");
}

DR1RT_MGPU void mgpuEventRecord(void *event, void *stream) {
  if (event && ready())
    check(cu.EventRecord((CUevent)event, (CUstream)stream), "cuEventRecord");
}
