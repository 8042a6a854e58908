export { pauseCommand as command } from './lifecycle.js';
