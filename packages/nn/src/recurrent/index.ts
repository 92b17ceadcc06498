/** The recurrent family: RNN, GRU, LSTM, their cells, SRU, and `nn.utils.rnn`. */
export { GRU, LSTM, RNN, RNNBase } from './rnn.js';
export type { GRUOptions, LSTMOptions, RNNBaseOptions, RNNOptions } from './rnn.js';
export { GRUCell, LSTMCell, RNNCell, RNNCellBase } from './cells.js';
export { SRU } from './sru.js';
export type { SRUOptions } from './sru.js';
export { PackedSequence, packPaddedSequence, packSequence, padPackedSequence, padSequence, unpackSequence } from './packed.js';
export type { Lengths, PackPaddedOptions, PadPackedOptions, PadSequenceOptions } from './packed.js';
export type { RecurrentLayerAttrs, RecurrentMode } from './layer-op.js';
/** `nn.utils.rnn`. */
export * as rnn from './packed.js';
