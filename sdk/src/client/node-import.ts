/**
 * Imports a Node-only module (`ws`, `node:fs/promises`) at run time. The
 * specifier is a variable so that bundlers for browsers and Workers neither
 * follow nor polyfill it; the code path runs only on Node.
 */
// The result's shape is declared by each caller; `any` here is the module namespace of a specifier unknown to the type checker.
export const nodeImport = (specifier: string): Promise<any> => import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
