package FreshdeskTest;

# Test harness for ngx_http_freshdesk_module: real nginx processes with the
# built module, the fake Freshdesk (t/fake_freshdesk.py) as upstream, raw
# HTTP on loopback.  Perl core modules only.
#
#   my $t = FreshdeskTest->new->start_fake->standard_conf->run;
#   my $res = $t->mcp({jsonrpc => '2.0', id => 1, method => 'ping'});
#   is($res->{status}, 200);
#   $t->finish;     # stops everything, fails on [alert]/[crit]/[emerg]
#                   # or a sanitizer report in error.log, done_testing

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');
our $TOKEN = 'Bearer t0k3n-acme';
our $TOKEN2 = 'Bearer t0k3n-globex';

my $json = JSON::PP->new->canonical->allow_nonref;

sub json { $json }

sub new {
    my ($class, %opts) = @_;

    my $dir = tempdir('fdtest-XXXXXX', TMPDIR => 1,
                      CLEANUP => !$ENV{TEST_NGINX_LEAVE});
    chmod 0755, $dir;
    mkdir "$dir/$_" for qw(logs tmp);
    chmod 0777, "$dir/logs", "$dir/tmp";

    my $self = bless {
        dir      => $dir,
        ports    => {},
        workers  => $opts{workers} || 1,
        nginx    => $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx',
        module   => $ENV{FRESHDESK_MODULE}
                    || "$ROOT/build/ngx_http_freshdesk_module.so",
        allowed  => [],
        pids     => [],
    }, $class;

    return $self;
}

sub dir { $_[0]{dir} }

# a free loopback port, remembered by name
sub port {
    my ($self, $name) = @_;
    return $self->{ports}{$name} if $self->{ports}{$name};

    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Proto => 'tcp',
                                      Listen => 1, ReuseAddr => 0)
            or next;
        my $p = $s->sockport;
        close $s;
        next if grep { $_ == $p } values %{$self->{ports}};
        return $self->{ports}{$name} = $p;
    }

    die "no free port\n";
}

# --- the fake Freshdesk ------------------------------------------------

sub start_fake {
    my ($self, @args) = @_;
    my $port = $self->port('fake');

    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$self->{dir}/fake.out";
        open STDERR, '>', "$self->{dir}/fake.err";
        exec 'python3', "$ROOT/t/fake_freshdesk.py", '--port', $port, @args;
        exit 127;
    }

    $self->{fake_pid} = $pid;
    $self->{fake_tls} = grep { $_ eq '--tls-cert' } @args;
    $self->wait_port($port, 'fake Freshdesk');
    return $self;
}

# --- a private Redis ------------------------------------------------------

# redis-server on a free loopback port, no persistence, its directory in
# the test's; @args are more configuration ("--requirepass", "x", ...)
sub start_redis {
    my ($self, @args) = @_;
    my $port = $self->port('redis');
    my $dir = "$self->{dir}/redis";
    mkdir $dir;

    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/redis.log";
        open STDERR, '>&', \*STDOUT;
        exec 'redis-server', '--port', $port, '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--dir', $dir,
             '--daemonize', 'no', @args;
        exit 127;
    }

    $self->{redis_pid} = $pid;
    $self->wait_port($port, 'redis-server');
    return $self;
}

sub stop_redis {
    my ($self) = @_;
    kill 'CONT', $self->{redis_pid} if $self->{redis_pid};
    return $self->stop_child('redis_pid');
}

# one command through redis-cli; its output without the trailing newline
sub redis {
    my ($self, @cmd) = @_;
    my @auth = $self->{redis_auth} ? @{$self->{redis_auth}} : ();
    open my $p, '-|', 'redis-cli', '-h', '127.0.0.1', '-p',
         $self->port('redis'), @auth, @cmd or die "redis-cli: $!\n";
    local $/;
    my $out = <$p> // '';
    close $p;
    $out =~ s/\n\z//;
    return $out;
}

sub control {
    my ($self, $method, $path, $body) = @_;

    if ($self->{fake_tls}) {
        # the fake speaks TLS only: ask curl
        my $url = "https://127.0.0.1:" . $self->port('fake') . "/__control/$path";
        my $data = defined $body ? $json->encode($body) : '';
        $data =~ s/'/'\\''/g;
        my $out = `curl -sk -X $method -H 'Content-Type: application/json' --data-binary '$data' '$url'`;
        return eval { $json->decode($out) };
    }
    my $res = $self->http_request(
        port => $self->port('fake'), method => $method,
        path => "/__control/$path",
        body => defined $body ? $json->encode($body) : undef,
        headers => { 'Content-Type' => 'application/json' });
    die "fake control $method $path: $res->{status}\n"
        unless $res->{status} && $res->{status} < 300;
    return $res->{json};
}

sub fake_requests { $_[0]->control('GET', 'requests') }
sub fake_clear    { $_[0]->control('DELETE', 'requests'); $_[0] }
sub fake_reset    { $_[0]->control('POST', 'reset'); $_[0] }
sub fake_fault    { my ($s, %f) = @_; $s->control('POST', 'fault', \%f); $s }
sub fake_count    { $_[0]->control('GET', 'count')->{count} }

# --- certificates --------------------------------------------------------

# a test CA (and more CAs by name) and a server certificate it signed for
# the given names; files "<name>.crt"/"<name>.key" in the test directory
sub make_certs {
    my ($self, %o) = @_;
    my $d = $self->{dir};
    my @cas = @{$o{cas} // ['ca']};
    my $sans = join ',', map { /^[\d.]+$/ ? "IP:$_" : "DNS:$_" }
                         @{$o{names} // ['localhost']};

    my $sh = sub {
        system("$_[0] >>$d/openssl.log 2>&1") == 0 or die "failed: $_[0]\n";
    };

    for my $ca (@cas) {
        $sh->("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=$ca"
              . " -keyout $d/$ca.key -out $d/$ca.crt");
    }

    open my $ext, '>', "$d/ext.cnf" or die;
    print $ext "subjectAltName=$sans\n";
    close $ext;

    $sh->("openssl req -newkey rsa:2048 -nodes -subj /CN=server"
          . " -keyout $d/server.key -out $d/server.csr");
    $sh->("openssl x509 -req -in $d/server.csr -CA $d/$cas[0].crt"
          . " -CAkey $d/$cas[0].key -CAcreateserial -days 2"
          . " -extfile $d/ext.cnf -out $d/server.crt");

    chmod 0644, glob("$d/*.key");
    return $self;
}

# --- configuration -----------------------------------------------------

sub main_block {
    my ($self) = @_;
    my $d = $self->{dir};
    return <<"EOF";
load_module $self->{module};
pid $d/nginx.pid;
error_log $d/logs/error.log info;
worker_processes $self->{workers};
user nobody nogroup;
events { worker_connections 1024; }
EOF
}

sub http_globals {
    my ($self) = @_;
    my $d = $self->{dir};
    return <<"EOF";
    access_log $d/logs/access.log;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
EOF
}

# one more MCP location like /mcp (tenant and API key from the client's
# token), with these directives too: for standard_conf(server => ...)
sub mcp_location {
    my ($path, @directives) = @_;

    return join "\n", "location = $path {",
        (map { "    $_" } 'freshdesk_mcp;', 'freshdesk_tenant $fd_tenant;',
                          'freshdesk_api_key $fd_api_key;', @directives),
        '}', '';
}

# the internal location that reaches the fake Freshdesk; options: prefix
# (default /_freshdesk), scheme (http or https), extra directives
sub upstream_location {
    my ($self, %o) = @_;
    my $port = $self->port('fake');
    my $prefix = $o{prefix} // '/_freshdesk';
    my $scheme = $o{scheme} // 'http';
    my $extra = $o{extra} // '';
    return <<"EOF";
        location $prefix/ {
            internal;
            proxy_pass $scheme://127.0.0.1:$port/api/v2/;
            proxy_pass_request_headers off;
            proxy_set_header Host acme.freshdesk.com;
            proxy_set_header Authorization \$freshdesk_upstream_authorization;
            proxy_set_header Content-Type application/json;
            proxy_set_header Accept application/json;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 5s;
            $extra
        }
EOF
}

# a complete configuration: /mcp with bearer tenants, /conformance with a
# fixed tenant, the internal upstream location; %o adds directives
sub standard_conf {
    my ($self, %o) = @_;
    my $port = $self->port('http');
    my $http = $o{http} // '';
    my $mcp = $o{mcp} // '';
    my $server = $o{server} // '';

    $self->write_conf($self->main_block . ($o{main} // '') . <<"EOF");
http {
@{[ $self->http_globals ]}
    map \$http_authorization \$fd_tenant {
        "$TOKEN"   acme;
        "$TOKEN2"  globex;
        default    "";
    }
    map \$fd_tenant \$fd_api_key {
        acme    fd-test-key;
        globex  fd-test-key;
        default "";
    }
    $http

    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        client_max_body_size 4m;

        location = /mcp {
            freshdesk_mcp;
            freshdesk_tenant \$fd_tenant;
            freshdesk_api_key \$fd_api_key;
            $mcp
        }

        location = /conformance/mcp {
            freshdesk_mcp;
            freshdesk_tenant conformance;
            freshdesk_api_key fd-test-key;
            freshdesk_allow_origin http://127.0.0.1:$port http://localhost:$port;
        }

@{[ $self->upstream_location(extra => $o{upstream} // '') ]}
        $server
    }
}
EOF
    return $self;
}

sub write_conf {
    my ($self, $text) = @_;
    open my $fh, '>', "$self->{dir}/nginx.conf" or die "$!\n";
    print $fh $text;
    close $fh;
    return $self;
}

# --- nginx processes ---------------------------------------------------

sub nginx_cmd {
    my ($self, @args) = @_;
    my @cmd = ($self->{nginx}, '-p', "$self->{dir}/", '-c',
               "$self->{dir}/nginx.conf", '-e', "$self->{dir}/logs/error.log",
               @args);
    return @cmd;
}

sub test_conf {
    my ($self) = @_;
    my @cmd = $self->nginx_cmd('-t', '-q');
    local $ENV{LD_PRELOAD} = $ENV{FRESHDESK_PRELOAD} if $ENV{FRESHDESK_PRELOAD};
    my $out = `@cmd 2>&1`;
    return ($? == 0, $out);
}

sub run {
    my ($self) = @_;
    unlink "$self->{dir}/nginx.pid";

    return $self->run_valgrind if $ENV{FRESHDESK_VALGRIND};

    # $self->{preload}: more libraries, after the sanitizers' runtimes;
    # $self->{env}: more environment (both for this nginx only)
    my $preload = join ' ', grep { $_ } $ENV{FRESHDESK_PRELOAD},
                                        $self->{preload};
    local $ENV{LD_PRELOAD} = $preload if $preload;
    local @ENV{keys %{$self->{env} // {}}} = values %{$self->{env} // {}};
    # bounded: an nginx that hangs before it daemonizes fails the test
    my @cmd = ('timeout', '60', $self->nginx_cmd);
    system(@cmd) == 0 or do {
        $self->dump_log;
        die "nginx failed to start\n";
    };

    for (1 .. 100) {
        last if -s "$self->{dir}/nginx.pid";
        sleep 0.05;
    }

    $self->{nginx_pid} = $self->read_pid or die "no nginx pid\n";
    $self->wait_port($self->port('http'), 'nginx');
    return $self;
}

# one nginx process (master_process off) under valgrind memcheck; its
# report is checked by check_log
sub run_valgrind {
    my ($self) = @_;
    my $log = "$self->{dir}/logs/valgrind.log";

    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$self->{dir}/logs/valgrind.err";
        exec 'valgrind', '--tool=memcheck', '--error-exitcode=0',
             "--log-file=$log", '--track-origins=no',
             "--suppressions=$ROOT/t/valgrind.supp",
             $self->nginx_cmd('-g', 'daemon off; master_process off;');
        exit 127;
    }

    $self->{valgrind_pid} = $pid;
    $self->{nginx_pid} = $pid;
    $self->wait_port($self->port('http'), 'nginx under valgrind');
    return $self;
}

sub read_pid {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/nginx.pid" or return;
    my $pid = <$fh>;
    chomp $pid if defined $pid;
    return $pid;
}

# the master's worker processes; with $want, waits (up to 5 s) until there
# are that many: a loaded machine may fork them after the port answers
sub worker_pids {
    my ($self, $want) = @_;
    my $master = $self->{nginx_pid} or return ();
    my @pids;
    for (1 .. 100) {
        @pids = split ' ', `ps -o pid= --ppid $master 2>/dev/null`;
        last if !$want or @pids >= $want;
        select undef, undef, undef, 0.05;
    }
    return @pids;
}

sub reload {
    my ($self) = @_;
    my @old = $self->worker_pids;
    kill 'HUP', $self->{nginx_pid};

    # wait for the old workers to go and new ones to answer
    for (1 .. 200) {
        my %now = map { $_ => 1 } $self->worker_pids;
        last if !grep { $now{$_} } @old and %now;
        sleep 0.05;
    }
    $self->wait_port($self->port('http'), 'nginx');
    return $self;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{nginx_pid} or return $self;

    if (delete $self->{valgrind_pid}) {
        kill 'QUIT', $pid;
        waitpid($pid, 0);
        return $self;
    }

    kill 'QUIT', $pid;
    for (1 .. 200) {
        return $self unless kill 0, $pid;
        sleep 0.05;
    }
    kill 'TERM', $pid;
    sleep 0.5;
    kill 'KILL', $pid if kill 0, $pid;
    return $self;
}

sub stop_fake {
    my ($self) = @_;
    return $self->stop_child('fake_pid');
}

# a child process of ours (by the key of its pid): TERM, then KILL
sub stop_child {
    my ($self, $key) = @_;
    my $pid = delete $self->{$key} or return $self;
    kill 'TERM', $pid;
    for (1 .. 100) {
        last if waitpid($pid, WNOHANG) != 0;
        sleep 0.05;
    }
    kill 'KILL', $pid if kill 0, $pid;
    waitpid($pid, 0);
    return $self;
}

sub wait_port {
    my ($self, $port, $what) = @_;
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Proto => 'tcp');
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    $self->dump_log;
    die "$what did not listen on port $port\n";
}

# --- error log ---------------------------------------------------------

sub error_log {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/error.log" or return '';
    local $/;
    return <$fh> // '';
}

sub access_log {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/access.log" or return '';
    local $/;
    return <$fh> // '';
}

# any log file of the test, by path
sub access_log_file {
    my ($self, $path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return <$fh> // '';
}

sub dump_log {
    my ($self) = @_;
    diag("error.log:\n" . $self->error_log);
}

# lines matching these are expected (e.g. the zone-full [crit])
sub allow_log {
    my ($self, $re) = @_;
    push @{$self->{allowed}}, $re;
    return $self;
}

sub bad_log_lines {
    my ($self) = @_;
    my @bad;
    for my $line (split /\n/, $self->error_log) {
        next unless $line =~ /\[(alert|crit|emerg)\]|Sanitizer|runtime error:/;
        next if grep { $line =~ $_ } @{$self->{allowed}};
        push @bad, $line;
    }
    return @bad;
}

# stops everything and fails on unexpected [alert]/[crit]/[emerg] lines
sub check_log {
    my ($self) = @_;
    $self->stop;
    $self->stop_fake;
    my @bad = $self->bad_log_lines;
    ok(!@bad, 'no alert, crit, emerg or sanitizer report in error.log')
        or diag(join "\n", @bad);

    if ($ENV{FRESHDESK_VALGRIND}) {
        my $vg = do { local $/; open my $f, '<', "$self->{dir}/logs/valgrind.log"; <$f> } // '';
        like($vg, qr/ERROR SUMMARY: 0 errors/, 'valgrind: no memory errors')
            or diag($vg);
    }
    return $self;
}

sub finish {
    my ($self) = @_;
    $self->check_log;
    done_testing();
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    $self->stop;
    $self->stop_fake;
    $self->stop_redis;
}

# --- HTTP --------------------------------------------------------------

# one request over a fresh connection; returns {status, headers, body, json}
sub http_request {
    my ($self, %o) = @_;
    my $port = $o{port} // $self->port('http');
    my $method = $o{method} // 'GET';
    my $path = $o{path} // '/';
    my $body = $o{body};
    my %h = %{$o{headers} // {}};

    my $req = "$method $path HTTP/1.1\r\n";
    $req .= "Host: " . ($o{host} // "127.0.0.1:$port") . "\r\n"
        unless grep { lc $_ eq 'host' } keys %h;
    for my $k (sort keys %h) {
        my $v = $h{$k};
        for my $one (ref $v ? @$v : ($v)) {
            $req .= "$k: $one\r\n";
        }
    }
    if (defined $body && !$o{chunked}) {
        $req .= "Content-Length: " . length($body) . "\r\n";
    }
    $req .= "Transfer-Encoding: chunked\r\n" if $o{chunked};
    $req .= "Connection: close\r\n\r\n";

    if (defined $body && $o{chunked}) {
        my $size = $o{chunk_size} || 1024;
        for (my $i = 0; $i < length $body; $i += $size) {
            my $c = substr($body, $i, $size);
            $req .= sprintf("%x\r\n%s\r\n", length $c, $c);
        }
        $req .= "0\r\n\r\n";
    } elsif (defined $body) {
        $req .= $body;
    }

    return $self->raw($req, $port, $o{timeout});
}

sub raw {
    my ($self, $req, $port, $timeout) = @_;
    $port //= $self->port('http');
    $timeout //= 20;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp', Timeout => 5)
        or return { status => 0, error => "connect: $!" };

    my $data = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        local $SIG{PIPE} = 'IGNORE';
        alarm $timeout;
        my $off = 0;
        while ($off < length $req) {
            my $n = syswrite($s, $req, 65536, $off);
            last unless defined $n;
            $off += $n;
        }
        while (1) {
            my $n = sysread($s, my $buf, 65536);
            last unless $n;
            $data .= $buf;
        }
        alarm 0;
    };
    alarm 0;
    close $s;

    return parse_response($data, $@);
}

sub parse_response {
    my ($data, $err) = @_;
    my %res = (raw => $data, headers => {}, status => 0);
    $res{error} = $err if $err;

    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    return \%res unless defined $head;

    my @lines = split /\r\n/, $head;
    my $status_line = shift @lines // '';
    ($res{status}) = $status_line =~ m{^HTTP/\d\.\d (\d{3})};
    $res{status} //= 0;

    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $k = lc $k;
        $res{headers}{$k} = exists $res{headers}{$k}
            ? "$res{headers}{$k}, $v" : $v;
    }

    $body //= '';
    if (($res{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $out .= substr($body, 0, $n, '');
            $body =~ s/^\r\n//;
        }
        $body = $out;
    }
    $res{body} = $body;

    if (length $body && ($res{headers}{'content-type'} // '') =~ /json/) {
        $res{json} = eval { $json->decode($body) };
    }

    return \%res;
}

# POST one JSON-RPC message (a hash/array is encoded, a string sent as is)
sub mcp {
    my ($self, $msg, %o) = @_;
    my $body = ref $msg ? $json->encode($msg) : $msg;
    my %h = (
        'Content-Type'  => 'application/json',
        'Accept'        => 'application/json, text/event-stream',
        'Authorization' => $TOKEN,
    );
    %h = (%h, %{delete $o{headers}}) if $o{headers};
    delete $h{$_} for grep { !defined $h{$_} } keys %h;

    return $self->http_request(method => $o{method} // 'POST',
                               path => $o{path} // '/mcp',
                               headers => \%h, body => $body, %o);
}

my $next_id = 1;

# tools/call: returns (response, result)
sub call_tool {
    my ($self, $name, $args, %o) = @_;
    my $res = $self->mcp({ jsonrpc => '2.0', id => $next_id++,
                           method => 'tools/call',
                           params => { name => $name,
                                       arguments => $args // {} } }, %o);
    return wantarray ? ($res, $res->{json}{result}) : $res;
}

sub tool_text {
    my ($result) = @_;
    return $result->{content}[0]{text} // '';
}

1;
