/** @torchlet/app-fasttext: a fastText text classifier on Torchlet (library entry; the CLI is `cli.ts`). */
export { Dictionary, EOS, tokenize } from './dictionary.js';
export type { DictionaryJSON, DictionaryOptions } from './dictionary.js';
export { InputError, formatOf, parseExamples, parseFastTextLine, readExamples, toFastTextLine } from './formats.js';
export type { Example, FormatOptions, InputFormat } from './formats.js';
export { FastTextModel } from './model.js';
export { MODEL_FORMAT, MODEL_VERSION, ModelError, loadModel, modelPaths, saveModel } from './model-io.js';
export type { LoadedModel } from './model-io.js';
export { DEFAULT_ARGS, effectiveArgs, encodeAll, step, train } from './train.js';
export type { EncodedLine, TrainArgs, TrainOptions, TrainResult } from './train.js';
export { formatReport, predict, test } from './evaluate.js';
export type { Prediction, TestReport } from './evaluate.js';
export { SPAM_GROUPS, groupSplit, randomSplit, shuffled, spamAssassin } from './spam.js';
export type { SpamExample } from './spam.js';
