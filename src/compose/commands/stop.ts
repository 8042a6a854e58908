export { stopCommand as command } from './lifecycle.js';
