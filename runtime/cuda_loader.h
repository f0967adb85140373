/*===- cuda_loader.h - libdr1rt's internal CUDA interface -----------------===*/
#ifndef DR1RT_CUDA_LOADER_H
#define DR1RT_CUDA_LOADER_H

#include <stddef.h>
#include <stdint.h>

/* NULL once the driver is open with a device; else why not (one line). */
const char *dr1rti_cuda_init_error(void);
/* The first failure of a driver call on this thread since the last clear. */
const char *dr1rti_cuda_run_error(void);
void dr1rti_cuda_clear_run_error(void);

int dr1rti_cuda_device_sm(void);
int dr1rti_cuda_is_device_pointer(const void *p);
void *dr1rti_cuda_alloc(size_t bytes);
void dr1rti_cuda_free(void *p);
int dr1rti_cuda_copy_to_device(void *dst, const void *src, size_t bytes);
int dr1rti_cuda_copy_to_host(void *dst, const void *src, size_t bytes);

#endif /* DR1RT_CUDA_LOADER_H */
