/* Generic driver for a dr1-compiled model: reads each input from a raw
 * binary file, runs the model through libdr1rt, writes each output.
 *   harness in0.bin ... out0.bin ...
 * Built with -DMODEL=<name> -DMODEL_HEADER="<name>.h". */
#include MODEL_HEADER
#include "dr1/dr1rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

static void *read_file(const char *path, size_t expected) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "harness: cannot open %s\n", path);
    exit(2);
  }
  void *buf = malloc(expected ? expected : 1);
  size_t got = fread(buf, 1, expected, f);
  if (got != expected || fgetc(f) != EOF) {
    fprintf(stderr, "harness: %s does not hold exactly %zu bytes\n", path,
            expected);
    exit(2);
  }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  const dr1_model_info *m = &CAT(MODEL, _info);
  if (m->abi_version != DR1_MODEL_ABI_VERSION) {
    fprintf(stderr, "harness: ABI version %u\n", m->abi_version);
    return 2;
  }
  if (argc != 1 + m->num_inputs + m->num_outputs) {
    fprintf(stderr, "harness: %s expects %d inputs and %d outputs\n", m->name,
            m->num_inputs, m->num_outputs);
    return 2;
  }
  const void *inputs[64];
  void *outputs[64];
  for (int i = 0; i < m->num_inputs; ++i)
    inputs[i] = read_file(argv[1 + i], m->inputs[i].size_bytes);
  /* Outputs are followed by guard bytes the model must not touch (writes
   * within an allocation escape AddressSanitizer). */
  enum { GUARD = 256 };
  for (int i = 0; i < m->num_outputs; ++i) {
    outputs[i] = calloc(1, m->outputs[i].size_bytes + GUARD);
    memset((char *)outputs[i] + m->outputs[i].size_bytes, 0xA5, GUARD);
  }
  void *copies[64];
  for (int i = 0; i < m->num_inputs; ++i) {
    copies[i] = malloc(m->inputs[i].size_bytes + 1);
    memcpy(copies[i], inputs[i], m->inputs[i].size_bytes);
  }

  /* DR1_HARNESS_SHORT_WORKSPACE: run once on a workspace 64 bytes short of
   * what the header asks for, to show that a model compiled with
   * --sanitize=address reports the overflow (a negative test). */
  if (getenv("DR1_HARNESS_SHORT_WORKSPACE") && m->workspace_size > 64 &&
      !(m->flags & DR1_MODEL_CUDA)) {
    void *ws = malloc(m->workspace_size - 64);
    m->run(inputs, outputs, ws);
    free(ws);
    fprintf(stderr, "harness: the short workspace went unnoticed\n");
    return 4;
  }
  dr1rt_session *s = NULL;
  dr1rt_status st = dr1rt_session_create(m, &s);
  if (st != DR1RT_OK) {
    fprintf(stderr, "harness: %s: %s\n", dr1rt_status_string(st),
            dr1rt_last_error());
    return 2;
  }
  /* Twice: the second run must not depend on what the first left in the
   * workspace or the outputs. DR1_HARNESS_RUNS=N runs N times (profiling). */
  int runs = getenv("DR1_HARNESS_RUNS") ? atoi(getenv("DR1_HARNESS_RUNS")) : 2;
  for (int run = 0; run < (runs > 0 ? runs : 2); ++run) {
    st = dr1rt_session_run(s, inputs, outputs);
    if (st != DR1RT_OK) {
      fprintf(stderr, "harness: run %d: %s: %s\n", run, dr1rt_status_string(st),
              dr1rt_last_error());
      return 2;
    }
  }
  dr1rt_session_destroy(s);
  for (int i = 0; i < m->num_outputs; ++i)
    for (int b = 0; b < GUARD; ++b)
      if (((unsigned char *)outputs[i])[m->outputs[i].size_bytes + b] != 0xA5) {
        fprintf(stderr, "harness: output %d written past its end\n", i);
        return 3;
      }
  /* Inputs are const in the ABI. */
  for (int i = 0; i < m->num_inputs; ++i) {
    if (memcmp(copies[i], inputs[i], m->inputs[i].size_bytes) != 0) {
      fprintf(stderr, "harness: input %d was modified\n", i);
      return 3;
    }
    free(copies[i]);
  }

  for (int i = 0; i < m->num_outputs; ++i) {
    FILE *f = fopen(argv[1 + m->num_inputs + i], "wb");
    if (!f || fwrite(outputs[i], 1, m->outputs[i].size_bytes, f) !=
                  m->outputs[i].size_bytes) {
      fprintf(stderr, "harness: cannot write output %d\n", i);
      return 2;
    }
    fclose(f);
  }
  for (int i = 0; i < m->num_inputs; ++i)
    free((void *)inputs[i]);
  for (int i = 0; i < m->num_outputs; ++i)
    free(outputs[i]);
  printf("%s: %d inputs, %d outputs, workspace %llu bytes\n", m->name,
         m->num_inputs, m->num_outputs, (unsigned long long)m->workspace_size);
  return 0;
}
