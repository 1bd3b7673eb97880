// A wss:// server and client in one node process, over its first and only TLS connection: the
// client sends 5 text messages "ping MARKER i", the server answers each with "pong " + message,
// then both close and the process exits. Prints the server's port, then each answer.
// Usage: CERT=cert.pem KEY=key.pem MARKER=x node wss-echo.js
const fs = require('fs');
const https = require('https');
const WebSocket = require('ws');

const marker = process.env.MARKER;
const server = https.createServer({cert: fs.readFileSync(process.env.CERT), key: fs.readFileSync(process.env.KEY)});
const wss = new WebSocket.WebSocketServer({server, perMessageDeflate: false});
wss.on('connection', ws => ws.on('message', message => ws.send('pong ' + message)));
server.listen(0, '127.0.0.1', () => {
  console.log('port ' + server.address().port);
  const client = new WebSocket('wss://127.0.0.1:' + server.address().port + '/echo',
    {rejectUnauthorized: false, perMessageDeflate: false});
  let answers = 0;
  client.on('open', () => {
    for (let i = 0; i < 5; i++) client.send('ping ' + marker + ' ' + i);
  });
  client.on('message', message => {
    console.log(String(message));
    if (++answers === 5) client.close();
  });
  client.on('close', () => { wss.close(); server.close(); process.exit(0); });
  client.on('error', e => { console.error(e); process.exit(2); });
});
setTimeout(() => { console.error('timeout'); process.exit(3); }, 20000).unref();
