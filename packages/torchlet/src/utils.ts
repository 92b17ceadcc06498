/** `torch.utils`: `torch.utils.data` is @torchlet/data (Dataset, DataLoader, samplers, readers, cookbook helpers). */
export * as data from '@torchlet/data';
