#!/usr/bin/perl

# The fake Freshdesk checks itself (its TAP goes straight to prove): the
# pagination, errors, faults and the account's rate limit the other tests
# rely on.

use strict;
use warnings;
use FindBin;

exec 'python3', "$FindBin::Bin/fake_freshdesk_selftest.py" or die "exec: $!\n";
