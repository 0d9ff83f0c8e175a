"""Deals (商机): pipelines and their stages with SOP checklists, deals, stage moves, won/lost.

Owns Pipeline, Stage, Deal and the stage history. May import crm.activities, crm.customers,
crm.access, crm.notifications, crm.identity, crm.audit and crm.core; refers to leads by string only
(leads sit above deals because a lead's conversion may open a deal).
"""
