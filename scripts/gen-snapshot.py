#!/usr/bin/env python3
"""Writes a synthetic snapshot (contactscan/snapshot/v1) of N accounts to stdout, for benchmarks.

The shape follows real organizations: most accounts share the central security@ list and the
finance and cloud-operations inboxes, teams own their accounts' OPERATIONS contacts, and a few
per cent carry the defects the rules look for (personal inboxes, placeholders, gaps).
Deterministic for a given N (seeded), so benchmark runs are comparable.

With --distinct every account has contacts of its own (no two alike): the worst case for
contactscan's memo, which evaluates each distinct contact once.

With --failing about 15 % of all findings FAIL (a first scan of a large organization): most
accounts carry a personal Gmail SECURITY contact, a template-domain BILLING address and a
fictional OPERATIONS number under a filler name, varied by team.
"""
import json
import random
import sys

def distinct(n):
    """Accounts whose three contacts are all different from every other account's."""
    accounts = []
    for i in range(n):
        contacts = [
            {"AlternateContactType": t, "Name": f"Team {t.lower()} {i}", "Title": f"Owner {i}",
             "EmailAddress": f"{t.lower()}-{i}@harborlight.com",
             "PhoneNumber": f"+1 206 {200 + i % 700:03d} {i % 10000:04d}"}
            for t in ("SECURITY", "BILLING", "OPERATIONS")]
        accounts.append({"Id": f"{100000000000 + i:012d}", "Name": f"acct-{i}",
                         "Email": f"aws-root+{i}@harborlight.com", "State": "ACTIVE",
                         "AlternateContacts": contacts})
    return accounts


def main():
    n = int(sys.argv[1])
    if "--distinct" in sys.argv[2:]:
        json.dump({"SchemaVersion": "contactscan/snapshot/v1", "Accounts": distinct(n)},
                  sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    failing = "--failing" in sys.argv[2:]
    rng = random.Random(n)
    teams = [f"team{t:03d}" for t in range(200)]
    people = [("Marco", "Rossi"), ("Anna", "Schmidt"), ("Li", "Wei"), ("Sara", "Lopez"), ("Jon", "Berg")]
    accounts = []
    for i in range(n):
        team = rng.choice(teams)
        roll = rng.random()
        security = {"AlternateContactType": "SECURITY", "Name": "Security Operations", "Title": "SOC",
                    "EmailAddress": "security@harborlight.com", "PhoneNumber": "+1 206 266 1000"}
        if roll < 0.02:
            first, last = rng.choice(people)
            security.update(Name=f"{first} {last}", EmailAddress=f"{first.lower()}.{last.lower()}@harborlight.com")
        elif roll < 0.03:
            security.update(EmailAddress="security@yourcompany.com", PhoneNumber="+1 206 555 0100")
        elif roll < 0.04:
            security.update(EmailAddress=f"{team}.sec@gmail.com")
        contacts = [
            security,
            {"AlternateContactType": "BILLING", "Name": "Finance", "Title": "Accounts Payable",
             "EmailAddress": "aws-billing@harborlight.com", "PhoneNumber": "+1 206 266 1001"},
            {"AlternateContactType": "OPERATIONS", "Name": f"{team} on-call", "Title": "Platform",
             "EmailAddress": f"{team}-oncall@harborlight.com", "PhoneNumber": f"+1 206 266 {1100 + teams.index(team)}"},
        ]
        if failing and rng.random() < 0.76:
            first, last = rng.choice(people)
            contacts[0].update(Name=f"{first} {last}",
                               EmailAddress=f"{first.lower()}.{last.lower()}.{team}@gmail.com")
            contacts[1].update(Name="TBD", EmailAddress=f"billing-{team}@yourcompany.com")
            contacts[2].update(Name="John Doe", PhoneNumber="+1 206 555 0100")
        if roll > 0.97:
            contacts.pop(0)
        accounts.append({
            "Id": f"{100000000000 + i:012d}",
            "Name": f"{team}-{i}",
            "Email": f"aws-root+{i}@harborlight.com",
            "State": "SUSPENDED" if roll > 0.995 else "ACTIVE",
            "AlternateContacts": contacts,
        })
    json.dump({"SchemaVersion": "contactscan/snapshot/v1", "CollectedAt": "2026-11-23T12:00:00Z",
               "Organization": {"Id": "o-bench00000", "ManagementAccountId": "100000000000"},
               "Accounts": accounts}, sys.stdout, indent=1)
    sys.stdout.write("\n")

if __name__ == "__main__":
    main()
