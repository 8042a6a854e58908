export { killCommand as command } from './lifecycle.js';
