import { join } from 'node:path';

/**
 * The tiny real GGUF model shared with the team (`../shared/models` beside the repository, in
 * development and in CI alike). Local-model tests run it for real.
 */
export const TINY_MODEL = join(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K.gguf');
