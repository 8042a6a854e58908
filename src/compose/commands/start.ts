export { startCommand as command } from './lifecycle.js';
