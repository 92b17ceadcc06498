// Generated from package.json by tooling/release/versions.mjs (`pnpm version-packages`); do not edit.

/** The version of @torchlet/train that is running (its package.json `version`). */
export const version = '0.0.0';
