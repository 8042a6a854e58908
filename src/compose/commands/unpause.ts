export { unpauseCommand as command } from './lifecycle.js';
