"""Monitoring webhooks: Alertmanager, Zabbix and a generic JSON shape open tickets."""
