/** @torchlet/app-fasttext: a fastText text classifier on Torchlet (library entry; the CLI is `cli.ts`). */
export { Dictionary, EOS, tokenize } from './dictionary.js';
export type { DictionaryJSON, DictionaryOptions } from './dictionary.js';
export { InputError, decodeText, firstInvalidUtf8, formatOf, parseExamples, parseFastTextLine, readExamples, stripBom, toFastTextLine } from './formats.js';
export type { EncodingErrors, Example, FormatOptions, InputFormat } from './formats.js';
export { FastTextModel } from './model.js';
export { MODEL_FORMAT, MODEL_VERSION, ModelError, checkModelJson, dictionaryDigest, loadModel, modelJsonPath, saveModel, serializeModel } from './model-io.js';
export type { LoadedModel, ModelJSON } from './model-io.js';
export { modelBase, writeModelFiles } from './model-files.js';
export type { WeightsRecord } from './model-files.js';
export { DEFAULT_ARGS, TrainingError, allFinite, argProblems, effectiveArgs, encodeAll, step, train } from './train.js';
export type { ArgProblem, EncodedLine, TrainArgs, TrainOptions, TrainResult } from './train.js';
export { formatReport, predict, test } from './evaluate.js';
export type { Prediction, TestReport } from './evaluate.js';
export { SPAM_GROUPS, groupSplit, randomSplit, shuffled, spamAssassin } from './spam.js';
export type { SpamExample } from './spam.js';
