#!/usr/bin/env python3
"""Writes a Terraform configuration of N aws_account_alternate_contact resources (default 2000)
into DIR: a local map of accounts, and one resource block per account and contact type whose
values come from the map, a variable default and string templates. One account in twenty uses a
placeholder domain. Deterministic.

    scripts/gen-terraform.py DIR [N]
"""
import os
import sys

TYPES = [("SECURITY", "security"), ("BILLING", "billing"), ("OPERATIONS", "cloud-ops")]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    accounts = -(-n // len(TYPES))
    os.makedirs(out, exist_ok=True)
    lines = ['variable "phone" {', '  default = "+1 206 266 1000"', "}", "", "locals {", "  accounts = {"]
    for i in range(accounts):
        domain = "example.com" if i % 20 == 0 else "corp.com"
        lines.append(f'    a{i:05} = {{ id = "{100000000000 + i:012}", domain = "{domain}", team = "team{i % 50}" }}')
    lines += ["  }", "}", ""]
    written = 0
    for i in range(accounts):
        for kind, local in TYPES:
            if written == n:
                break
            written += 1
            lines += [
                f'resource "aws_account_alternate_contact" "a{i:05}_{local.replace("-", "_")}" {{',
                f"  account_id             = local.accounts.a{i:05}.id",
                f'  alternate_contact_type = "{kind}"',
                f'  name                   = "{kind.title()} ${{upper(local.accounts.a{i:05}.team)}}"',
                '  title                  = "Team inbox"',
                f'  email_address          = "{local}@${{local.accounts.a{i:05}.domain}}"',
                "  phone_number           = var.phone",
                "}",
                "",
            ]
    with open(os.path.join(out, "main.tf"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
