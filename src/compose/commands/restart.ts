export { restartCommand as command } from './lifecycle.js';
