/* Runs the example MLP on one input and prints its class probabilities.
 * Needs nothing but the generated header and object: no runtime library. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  float input[MLP_INPUT0_NUMEL], probs[MLP_OUTPUT0_NUMEL];
  for (unsigned i = 0; i < MLP_INPUT0_NUMEL; ++i)
    input[i] = (float)(i % 8) / 8.0f - 0.4f;
  /* The caller owns the workspace; aligned_alloc needs a multiple of the
   * alignment. */
  size_t ws = (MLP_WORKSPACE_SIZE + MLP_WORKSPACE_ALIGN - 1) /
              MLP_WORKSPACE_ALIGN * MLP_WORKSPACE_ALIGN;
  void *workspace = aligned_alloc(MLP_WORKSPACE_ALIGN, ws ? ws : MLP_WORKSPACE_ALIGN);
  mlp_run(input, probs, workspace);
  free(workspace);

  printf("%s: %d -> %d, workspace %u bytes\n", mlp_info.name,
         (int)mlp_info.inputs[0].shape[1], (int)mlp_info.outputs[0].shape[1],
         MLP_WORKSPACE_SIZE);
  int best = 0;
  for (unsigned i = 0; i < MLP_OUTPUT0_NUMEL; ++i) {
    printf("  class %u: %.5f\n", i, probs[i]);
    if (probs[i] > probs[best])
      best = (int)i;
  }
  printf("predicted class: %d\n", best);
  return 0;
}
