/*===- dr1/model_abi.h - the ABI of dr1-compiled models -------------------===*
 *
 * Every header dr1c writes embeds this block verbatim, so a compiled model
 * needs no dr1 include path. It depends on nothing but <stdint.h>.
 *
 * A model compiled with --name=NAME exports:
 *   void NAME_run(const T0 *input0, ..., T *output0, ..., void *workspace);
 *   void NAME_run_packed(const void *const *inputs, void *const *outputs,
 *                        void *workspace);
 *   extern const dr1_model_info NAME_info;
 * The workspace holds NAME_WORKSPACE_SIZE bytes aligned to
 * NAME_WORKSPACE_ALIGN and is owned by the caller; two threads with two
 * workspaces may run the same model at once (there is no global mutable
 * state). Tensors are dense row-major.
 *
 * A model compiled for a GPU (-target=nvptx) has DR1_MODEL_CUDA in flags:
 * NAME_run takes device pointers (inputs, outputs and the workspace in the
 * CUDA device memory of the current context) and returns once its kernels
 * have finished. libdr1rt's sessions accept host or device pointers and
 * copy at the model's boundaries.
 *
 * A training step (dr1c --train=..., DR1_MODEL_TRAIN_STEP in flags) reads
 * and updates its first num_inout inputs in place: the parameters, then
 * the optimizer state; NAME_run takes them as non-const pointers.
 *
 * Version 2 turned the reserved word of dr1_model_info into `flags`;
 * version 3 added num_inout (72 bytes; fields up to `run` are unchanged).
 *
 *===----------------------------------------------------------------------===*/
#ifndef DR1_MODEL_ABI_H
#define DR1_MODEL_ABI_H

#include <stdint.h>

#define DR1_MODEL_ABI_VERSION 3

/* Bits of dr1_model_info.flags. */
#define DR1_MODEL_CUDA 1u
#define DR1_MODEL_TRAIN_STEP 2u

typedef enum dr1_dtype {
  DR1_DTYPE_F32 = 0,
  DR1_DTYPE_F64 = 1,
  DR1_DTYPE_F16 = 2,
  DR1_DTYPE_BF16 = 3,
  DR1_DTYPE_I64 = 4,
  DR1_DTYPE_I32 = 5,
  DR1_DTYPE_I16 = 6,
  DR1_DTYPE_I8 = 7,
  DR1_DTYPE_U8 = 8,
  DR1_DTYPE_BOOL = 9
} dr1_dtype;

typedef struct dr1_tensor_info {
  const char *name;
  int32_t dtype; /* a dr1_dtype */
  int32_t rank;
  const int64_t *shape;
  uint64_t size_bytes;
} dr1_tensor_info;

typedef void (*dr1_run_packed_fn)(const void *const *inputs,
                                  void *const *outputs, void *workspace);

typedef struct dr1_model_info {
  uint32_t abi_version; /* DR1_MODEL_ABI_VERSION of the compiler */
  int32_t num_inputs;
  int32_t num_outputs;
  uint32_t flags; /* DR1_MODEL_* bits; 0 for CPU models */
  const char *name;
  const dr1_tensor_info *inputs;
  const dr1_tensor_info *outputs;
  uint64_t workspace_size;
  uint64_t workspace_align;
  dr1_run_packed_fn run;
  int32_t num_inout; /* leading inputs updated in place (version >= 3) */
  uint32_t reserved;
} dr1_model_info;

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L &&                \
    UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(dr1_tensor_info) == 32, "dr1_tensor_info layout");
_Static_assert(sizeof(dr1_model_info) == 72, "dr1_model_info layout");
#elif defined(__cplusplus) && UINTPTR_MAX == 0xffffffffffffffffu
static_assert(sizeof(dr1_tensor_info) == 32, "dr1_tensor_info layout");
static_assert(sizeof(dr1_model_info) == 72, "dr1_model_info layout");
#endif

#endif /* DR1_MODEL_ABI_H */
