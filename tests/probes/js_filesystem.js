// Filesystem and descriptor probe from the Node.js runner (run inside the
// sandbox). The prelude sets STATE_DIR (the host's state dir).
const fs = require('fs');
const cp = require('child_process');
const out = [];
const code = (e) => e.code || String(e.status !== undefined ? e.status : e);

const mounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8')
  .split('\n').map((l) => l.split(' ').slice(3, 6).join(' ')).sort().join('\n');
const before = mounts();

const tools = {
  chroot_bin: ['chroot', ['/tmp', '/bin/true']],
  mount_bin: ['mount', ['-t', 'tmpfs', 'none', '/tmp']],
  umount_bin: ['umount', ['-l', '/workspace']],
  unshare_bin: ['unshare', ['-rm', 'true']],
  bwrap_bin: ['bwrap', ['--ro-bind', '/', '/', '--unshare-all', 'true']],
};
for (const [name, [prog, args]] of Object.entries(tools)) {
  const p = cp.spawnSync(prog, args, { timeout: 30000 });
  if (p.error && p.error.code === 'ENOENT') out.push(name + ' ABSENT');
  else out.push(name + (p.status === 0 ? ' ALLOWED' : ' FAILED'));
}
out.push('MOUNTS_CHANGED ' + (mounts() !== before));

for (const [name, fn] of [
  ['STATE_DIR_LISTED', () => fs.readdirSync(STATE_DIR)],
  ['SHADOW', () => fs.readFileSync('/etc/shadow')],
  ['ROOT_HOME', () => fs.readdirSync('/root')],
]) {
  try { fn(); out.push(name + ' ALLOWED'); } catch (e) { out.push(name + ' ' + code(e)); }
}
out.push('DEV ' + fs.readdirSync('/dev').sort().join(' '));
const mk = cp.spawnSync('mknod', ['/tmp/ci_null', 'c', '1', '3']);
out.push('MKNOD ' + (mk.status === 0 && fs.existsSync('/tmp/ci_null') ? 'ALLOWED' : 'FAILED'));

// descriptors: few, and none of them a host file
let leaks = 0;
const fds = fs.readdirSync('/proc/self/fd');
for (const fd of fds) {
  let target = '?';
  try { target = fs.readlinkSync('/proc/self/fd/' + fd); } catch (e) { continue; }
  if (target.startsWith('/') && !/^\/(dev|proc|opt\/codeinterp|workspace|tmp)\b/.test(target)) {
    out.push('FD_LEAK ' + fd + ' ' + target);
    leaks++;
  }
}
out.push('FD_COUNT ' + fds.length);
out.push('FD_LEAKS ' + leaks);
out.push('DONE');
console.log(out.join('\n'));
