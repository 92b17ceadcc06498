/**
 * Autograd's PyTorch fixture table: the tensor core's table for the cases of group `tensor`
 * (`@torchlet/tensor/fixture-table`, one copy), whose outputs are differentiated here. Driven
 * over every device by `fixtures.test.ts`.
 */
export {
  TENSOR_FIXTURES as GRADIENT_FIXTURES,
  type FixtureContext,
  type FixtureEntry,
  type FixtureInputs,
  type FixtureOutputs,
} from '@torchlet/tensor/fixture-table';
