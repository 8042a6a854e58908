/** The engine's own version, reported by /version and /info. */
export const ENGINE_VERSION = '0.1.0';
