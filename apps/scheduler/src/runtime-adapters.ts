// Loaded by runtime.factory with a relative require, so that the alias is rewritten by the build
// (the Nest CLI's path rewriting covers import and export declarations, not require calls).
export * from '@rjs/runtime';
