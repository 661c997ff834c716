import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message the fake SMTP server accepted. */
export type ReceivedMail = {
  envelope: { from: string; to: string[] };
  user: string | undefined;
  parsed: ParsedMail;
};

/** A canned SMTP refusal at RCPT TO or DATA, e.g. { stage: 'rcpt', code: 550, message: 'No such user' }. */
export type SmtpFailure = { stage: 'rcpt' | 'data'; code: number; message: string };

export type SmtpFake = {
  /** smtp://127.0.0.1:PORT, for `env.baseUrls.email`. */
  url: string;
  port: number;
  received: ReceivedMail[];
  failNext(failure: SmtpFailure): void;
  close(): Promise<void>;
};

function smtpError(failure: SmtpFailure): Error & { responseCode: number } {
  return Object.assign(new Error(failure.message), { responseCode: failure.code });
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1, port 0, with login auth and no TLS. */
export async function startSmtpFake(options: { user: string; pass: string }): Promise<SmtpFake> {
  const received: ReceivedMail[] = [];
  const failures: SmtpFailure[] = [];
  const take = (stage: SmtpFailure['stage']) => {
    const index = failures.findIndex((failure) => failure.stage === stage);
    return index === -1 ? undefined : failures.splice(index, 1)[0];
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.pass)
        callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      const failure = take('rcpt');
      callback(failure ? smtpError(failure) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = take('data');
        if (failure) {
          callback(smtpError(failure));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            received.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              user: typeof session.user === 'string' ? session.user : undefined,
              parsed,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    failNext: (failure) => failures.push(failure),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
