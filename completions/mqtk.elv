
use builtin;
use str;

set edit:completion:arg-completer[mqtk] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mqtk'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mqtk'= {
            cand --help 'Print help (-h is the broker host, as in mosquitto)'
            cand --version 'Print the version'
            cand pub 'Publish messages (a drop-in for mosquitto_pub)'
            cand gen 'Write the shell completions and man pages (used to refresh completions/ and man/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mqtk;pub'= {
            cand -t 'Topic to publish to'
            cand --topic 'Topic to publish to'
            cand -m 'Message payload'
            cand --message 'Message payload'
            cand -f 'Send the contents of FILE (any bytes) as the message'
            cand --file 'Send the contents of FILE (any bytes) as the message'
            cand -q 'Quality of service: 0, 1 or 2'
            cand --qos 'Quality of service: 0, 1 or 2'
            cand --repeat 'Publish the message N times'
            cand --repeat-delay 'Wait this long between repeats: seconds (0.5) or a duration (500ms)'
            cand --rate 'At most N messages per second (for -l, --jsonl and --repeat)'
            cand -M 'QoS 1/2 messages in flight at once (mosquitto''s -M) [default: 1000; 20 for QoS 2 on MQTT 3.1.1]'
            cand --max-inflight 'QoS 1/2 messages in flight at once (mosquitto''s -M) [default: 1000; 20 for QoS 2 on MQTT 3.1.1]'
            cand -i 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]'
            cand --id 'Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]'
            cand -I 'Client id prefix; the process id is appended (as mosquitto)'
            cand --id-prefix 'Client id prefix; the process id is appended (as mosquitto)'
            cand -x 'MQTT 5 session expiry in seconds, or inf / -1 for never'
            cand --session-expiry 'MQTT 5 session expiry in seconds, or inf / -1 for never'
            cand -h 'Broker host [env: MQTK_HOST] [default: localhost]'
            cand --host 'Broker host [env: MQTK_HOST] [default: localhost]'
            cand -p 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]'
            cand --port 'Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]'
            cand -L 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]'
            cand --url 'Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]'
            cand --ws-path 'WebSocket path [default: /mqtt]'
            cand --ws-header 'Extra WebSocket upgrade header, ''Name: value'' (repeatable)'
            cand --unix 'Connect to a broker''s unix socket instead of TCP'
            cand --proxy 'Tunnel through an HTTP CONNECT proxy: http://[user:pass@]host:port'
            cand -V 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]'
            cand --protocol-version 'MQTT version: 311 (mqttv311) or 5 (mqttv5) [default: 311]'
            cand -k 'Keepalive in seconds, 0 disables [default: 60]'
            cand --keepalive 'Keepalive in seconds, 0 disables [default: 60]'
            cand --connect-timeout 'Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]'
            cand -u 'Username [env: MQTK_USERNAME]'
            cand --username 'Username [env: MQTK_USERNAME]'
            cand -P 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)'
            cand --pw 'Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)'
            cand --password-file 'Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)'
            cand --cafile 'CA certificates (PEM) to trust; switches TLS on'
            cand --capath 'Folder of CA certificates (PEM) to trust; switches TLS on'
            cand --cert 'Client certificate (PEM) for mutual TLS; needs --key'
            cand --key 'Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert'
            cand --tls-version 'Only this TLS version: tlsv1.2 or tlsv1.3'
            cand --tls-alpn 'ALPN protocol to offer (repeatable)'
            cand --will-topic 'Will topic, published by the broker if we vanish without DISCONNECT'
            cand --will-payload 'Will payload [default: empty]'
            cand --will-qos 'Will QoS'
            cand -D 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5'
            cand --property 'MQTT 5 property: COMMAND NAME VALUE (user-property takes NAME VALUE); implies -V 5'
            cand --profile 'Connection settings profile from the config file'
            cand -s 'Send all of stdin as one message'
            cand --stdin-file 'Send all of stdin as one message'
            cand -l 'Send each line of stdin as a message (newline not included), over one connection'
            cand --stdin-line 'Send each line of stdin as a message (newline not included), over one connection'
            cand -n 'Send a zero-length message'
            cand --null-message 'Send a zero-length message'
            cand --jsonl 'Read one JSON object per stdin line: {"topic","payload"|"payload_base64","qos","retain","properties"}'
            cand -r 'Ask the broker to retain the message'
            cand --retain 'Ask the broker to retain the message'
            cand -c 'Keep the session when we disconnect (clean session off); needs -i'
            cand --disable-clean-session 'Keep the session when we disconnect (clean session off); needs -i'
            cand --ws 'Connect over WebSockets to host:port'
            cand --tls-use-os-certs 'Trust the operating system''s CA store; switches TLS on'
            cand --insecure 'Do not verify the broker''s certificate (prints a warning)'
            cand --will-retain 'Retain the will'
            cand -d 'Trace every MQTT packet on stderr (passwords are never printed)'
            cand --debug 'Trace every MQTT packet on stderr (passwords are never printed)'
            cand --quiet 'Print no warnings'
            cand --help 'Print help (-h is the broker host, as in mosquitto)'
        }
        &'mqtk;gen'= {
            cand --out-dir 'Folder that receives completions/ and man/'
            cand --help 'Print help (-h is the broker host, as in mosquitto)'
        }
        &'mqtk;help'= {
            cand pub 'Publish messages (a drop-in for mosquitto_pub)'
            cand gen 'Write the shell completions and man pages (used to refresh completions/ and man/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mqtk;help;pub'= {
        }
        &'mqtk;help;gen'= {
        }
        &'mqtk;help;help'= {
        }
    ]
    $completions[$command]
}
