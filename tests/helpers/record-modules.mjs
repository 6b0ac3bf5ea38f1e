// `node --import ./tests/helpers/record-modules.mjs …`: appends the URL of every module the process
// resolves through the ESM loader to the file named by HERALD_MODULE_LOG (one per line), so a test
// can tell which packages a command loaded.
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url);
