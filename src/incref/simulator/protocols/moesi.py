"""MOESI: MESI plus Owned, a dirty copy that may be shared: the owner answers requests and
memory stays stale until the owner writes the block back (Primer, 2nd ed., 2020: section
7.4 "Adding the Owned State" for snooping, section 8.3.2 for directories; AMD's MOESI).

`BUS`: atomic-bus abstraction as in `msi.BUS`. A snooper in M or E answers another core's
GetS and keeps the block in O (the memory controller cannot tell E from M, so both do the
same); the memory controller's O state says a cache owns a shared block. An owner that
upgrades from O broadcasts GetM: the sharers invalidate and no one sends data (`NoData`).

`DIRECTORY`: the MESI directory tables with O. A Fwd-GetS to an owner in M, E or O is
answered from the cache and the owner stays owner (no writeback, no S_D state). A GetM
from a non-owner while the block is in O forwards the request to the owner with the number
of sharers to wait for and invalidates the sharers; the owner upgrading from O gets only
that count (`acks>req`, the Primer's AckCount message) and waits in OM_AC / OM_A.
"""

BUS = """
table cache
states  I:- S:r E:rwo O:ro M:rwo IS_D:- IM_D:- SM_D:r OM_D:ro
events  Load Store Replacement OtherGetS OtherGetM OtherPutM Data DataExcl NoData
state | Load      | Store      | Replacement | OtherGetS  | OtherGetM  | OtherPutM | Data | DataExcl | NoData
I     | GetS/IS_D | GetM/IM_D  | -           | /I         | /I         | /I        | -    | -        | -
S     | hit       | GetM/SM_D  | /I          | /S         | /I         | /S        | -    | -        | -
E     | hit       | hit/M      | PutM/I      | data>req/O | data>req/I | -         | -    | -        | -
O     | hit       | GetM/OM_D  | PutM/I      | data>req/O | data>req/I | -         | -    | -        | -
M     | hit       | hit        | PutM/I      | data>req/O | data>req/I | -         | -    | -        | -
IS_D  | -         | -          | -           | -          | -          | -         | /S   | /E       | -
IM_D  | -         | -          | -           | -          | -          | -         | /M   | -        | -
SM_D  | -         | -          | -           | -          | -          | -         | /M   | -        | -
OM_D  | -         | -          | -           | -          | -          | -         | -    | -        | /M

table home
states  I: S: EorM: O:
events  GetS GetM PutM
state | GetS          | GetM          | PutM
I     | excl>req/EorM | data>req/EorM | -
S     | data>req      | data>req/EorM | -
EorM  | /O            | /EorM         | mem<data/I
O     | /O            | /EorM         | mem<data/S
"""

DIRECTORY = """
table cache
states  I:- IS_D:- IM_AD:- IM_A:- S:r SM_AD:r SM_A:r E:rwo O:ro OM_AC:ro OM_A:ro M:rwo MI_A:o SI_A:- II_A:-
events  Load Store Replacement FwdGetS FwdGetM Inv PutAck Data DataAcks DataExcl InvAck LastInvAck
state | Load      | Store      | Replacement | FwdGetS    | FwdGetM        | Inv               | PutAck | Data | DataAcks | DataExcl | InvAck | LastInvAck
I     | GetS/IS_D | GetM/IM_AD | -           | -          | -              | -                 | -      | -    | -        | -        | -      | -
IS_D  | stall     | stall      | stall       | stall      | stall          | stall             | -      | /S   | -        | /E       | -      | -
IM_AD | stall     | stall      | stall       | stall      | stall          | -                 | -      | /M   | /IM_A    | -        | /IM_AD | -
IM_A  | stall     | stall      | stall       | stall      | stall          | -                 | -      | -    | -        | -        | /IM_A  | /M
S     | hit       | GetM/SM_AD | PutS/SI_A   | -          | -              | invack>req/I      | -      | -    | -        | -        | -      | -
SM_AD | hit       | stall      | stall       | stall      | stall          | invack>req/IM_AD  | -      | /M   | /SM_A    | -        | /SM_AD | -
SM_A  | hit       | stall      | stall       | stall      | stall          | -                 | -      | -    | -        | -        | /SM_A  | /M
E     | hit       | hit/M      | PutM/MI_A   | data>req/O | data>req/I     | -                 | -      | -    | -        | -        | -      | -
O     | hit       | GetM/OM_AC | PutM/MI_A   | data>req   | data>req/I     | -                 | -      | -    | -        | -        | -      | -
OM_AC | hit       | stall      | stall       | data>req   | data>req/IM_AD | -                 | -      | /M   | /OM_A    | -        | /OM_AC | -
OM_A  | hit       | stall      | stall       | stall      | stall          | -                 | -      | -    | -        | -        | /OM_A  | /M
M     | hit       | hit        | PutM/MI_A   | data>req/O | data>req/I     | -                 | -      | -    | -        | -        | -      | -
MI_A  | stall     | stall      | stall       | data>req   | data>req/II_A  | -                 | /I     | -    | -        | -        | -      | -
SI_A  | stall     | stall      | stall       | -          | -              | invack>req/II_A   | /I     | -    | -        | -        | -      | -
II_A  | stall     | stall      | stall       | -          | -              | -                 | /I     | -    | -        | -        | -      | -

table home
states  I: S: M: O:
events  GetS GetM GetMOwner PutS PutSLast PutM PutMNonOwner Data
state | GetS                 | GetM                                       | GetMOwner                    | PutS             | PutSLast           | PutM                           | PutMNonOwner     | Data
I     | excl>req,owner=req/M | data>req,owner=req/M                       | -                            | putack>req       | putack>req         | -                              | putack>req       | -
S     | data>req,+req        | data+acks>req,inv>sharers,clr,owner=req/M  | -                            | -req,putack>req  | -req,putack>req/I  | -                              | -req,putack>req  | -
M     | fwd>owner,+req/O     | fwd>owner,owner=req                        | -                            | putack>req       | putack>req         | mem<data,owner=-,putack>req/I  | putack>req       | -
O     | fwd>owner,+req       | fwd>owner,inv>sharers,clr,owner=req/M      | acks>req,inv>sharers,clr/M   | -req,putack>req  | -req,putack>req    | mem<data,owner=-,putack>req/S  | -req,putack>req  | -
"""
