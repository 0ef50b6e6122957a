#!/usr/bin/env node
// The `beamgate` command: runs the compiled CLI (`npm run build` makes dist/).
import { main } from "../dist/src/cli/main.js";

const code = await main(process.argv.slice(2));
// Exit explicitly: a stopped server must not wait on stray handles (shutdown has a 2 s deadline).
process.exit(code);
