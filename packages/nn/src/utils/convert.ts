/** `nn.utils.parameters_to_vector`, `nn.utils.vector_to_parameters`. */
import { noGrad } from '@torchlet/autograd';
import { ShapeError, Tensor, cat, copy_, narrow, reshape, tidy } from '@torchlet/tensor';

/** `parameters_to_vector(parameters)`: every parameter flattened and concatenated (differentiable). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const list = [...parameters];
  if (list.length === 0) throw new ShapeError('parameters_to_vector: expected at least one parameter');
  const device = list[0]!.device;
  for (const p of list) if (p.device !== device) throw new ShapeError('Found two parameters on different devices, this is currently not supported.');
  return tidy(() => cat(list.map((p) => reshape(p, [-1])), 0));
}

/** `vector_to_parameters(vec, parameters)`: copies consecutive slices of `vec` into the parameters (without grad). */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`expected torch.Tensor, but got: ${typeof vec}`);
  if (vec.ndim !== 1) throw new ShapeError(`vector_to_parameters: expected a 1-D vector (got shape [${vec.shape.join(', ')}])`);
  const list = [...parameters];
  const total = list.reduce((a, p) => a + p.numel(), 0);
  if (vec.shape[0] !== total) throw new ShapeError(`vector_to_parameters: the vector has ${vec.shape[0]} elements but the parameters have ${total}`);
  noGrad(() => {
    let offset = 0;
    for (const p of list) {
      const n = p.numel();
      tidy(() => {
        copy_(p, reshape(narrow(vec, 0, offset, n), p.shape));
      });
      offset += n;
    }
  });
}
