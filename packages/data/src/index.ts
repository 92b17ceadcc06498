// @torchlet/data: torch.utils.data and the PyTorch Cookbook's data-side helpers.

// ---- datasets, samplers, loading ----
export { ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, isIterableDataset, randomSplit } from './dataset/dataset.js';
export type { MapDataset, RandomSplitOptions, StreamProtocols } from './dataset/dataset.js';
export {
  BatchSampler,
  RandomSampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from './dataset/sampler.js';
export type { RandomSamplerOptions, Sampler } from './dataset/sampler.js';
export { CollateError, defaultCollate, defaultConvert, makeCollate, padCollate } from './dataset/collate.js';
export type { CollateFn, CollateOptions, Collated, PadCollateOptions, PaddedBatch } from './dataset/collate.js';
export { DataLoader } from './dataset/dataloader.js';
export type { DataLoaderOptions, IndexBatchSampler, IndexSampler } from './dataset/dataloader.js';

// ---- text ----
export { basicEnglish, getTokenizer, splitTokenizer, tokenize } from './text/tokenizer.js';
export type { TokenizeOptions, Tokenizer } from './text/tokenizer.js';
export { Vocab } from './text/vocab.js';
export type { VocabJSON, VocabOptions } from './text/vocab.js';
export { addWordNgrams, charNgramBuckets, fastTextHash, ngramsIterator, wordNgramBuckets } from './text/ngrams.js';
export { padSequence } from './text/pad-sequence.js';
export type { PadSequenceOptions } from './text/pad-sequence.js';

// ---- readers ----
export { DataFormatError } from './readers/errors.js';
export { textChunks } from './readers/source.js';
export type { ChunkOptions, TextSource } from './readers/source.js';
export { LineSplitter, readLines, readNumberedLines, splitLines } from './readers/lines.js';
export type { ReadLinesOptions } from './readers/lines.js';
export { CsvParser, parseCsv, parseTsv, readCsv, readTsv } from './readers/csv.js';
export type { CsvOptions, CsvParserOptions, CsvRecord, CsvValue } from './readers/csv.js';
export { parseJsonl, readJsonl } from './readers/jsonl.js';

// ---- cookbook ----
export { oneHot, manualSeed, Generator } from '@torchlet/tensor';
export { seedEverything } from './cookbook/seed.js';
export { sampleBeta, sampleGamma, sampleNormal } from './cookbook/distributions.js';
export { mixup } from './cookbook/mixup.js';
export type { MixupResult } from './cookbook/mixup.js';
export { Normalize, compose, computeMeanStd } from './cookbook/normalize.js';
export type { MeanStdOptions, Transform } from './cookbook/normalize.js';
export { accuracy, confusionMatrix, precisionRecallF1 } from './cookbook/metrics.js';
export type { ClassificationReport, Predictions } from './cookbook/metrics.js';
export { Timer } from './cookbook/timer.js';
export { profile } from './cookbook/profiler.js';
export type { OpStats, ProfileReport } from './cookbook/profiler.js';
export { ProgressBar } from './cookbook/progress.js';
export type { ProgressBarOptions, ProgressStream } from './cookbook/progress.js';

// ---- time series ----
export { WindowedDataset, windowed } from './timeseries/windowed.js';
export type { WindowedOptions } from './timeseries/windowed.js';
export { splitByTime } from './timeseries/split.js';
export type { SplitByTimeOptions, TimeSplits } from './timeseries/split.js';
export { MinMaxScaler, StandardScaler } from './timeseries/scalers.js';
export type { ScalerState } from './timeseries/scalers.js';
export { version } from './version.js';
