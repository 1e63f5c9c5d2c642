/** Loads an optional peer dependency, or explains how to install it. */
export function loadOptional<T>(name: string, usedBy: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(`cors-sentinel: ${usedBy} needs the optional package "${name}": npm install ${name}`);
    }
    throw err;
  }
}
